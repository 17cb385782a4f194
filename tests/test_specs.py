"""Chart templates saved to disk: a restarted server draws the landing charts without building them (or
importing Altair), and an edited data file or a broken cache never shows a stale or missing chart."""
import json
import subprocess
import sys
from pathlib import Path

from chokepoint import specs

ROOT = Path(__file__).resolve().parent.parent
# One server start, as far as the landing charts go: the warm-up, then the default view's two chart specs.
START = """
import json, sys
from chokepoint.ui import startup
from chokepoint.ui import controls, resources
startup.warm()
inputs = resources.model_inputs()
scenario = resources.Scenario.create(inputs=inputs).key()
reference = resources.Scenario.create(*inputs.presets[controls.DEFAULT_REFERENCE][:2], inputs=inputs).key()
out = {kind: resources.chart_spec(kind, scenario, reference, controls.DEFAULT_YEAR, True)
       for kind in ("headline_shares", "risk_usd")}
print(json.dumps({"altair_loaded": "altair" in sys.modules, "specs": out}))
"""


def start_server(env: dict) -> dict:
    result = subprocess.run([sys.executable, "-c", START], capture_output=True, text=True, cwd=ROOT, timeout=120,
                            env={"PATH": "/usr/bin:/bin", "HOME": str(ROOT), **env})
    assert result.returncode == 0, result.stderr[-2000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def event_titles(spec: dict) -> set[str]:
    return {row["title"] for layer in spec["layer"] for row in layer.get("data", {}).get("values", [])
            if "title" in row}


def test_a_restarted_server_draws_the_landing_charts_from_disk_without_altair(tmp_path):
    env = {"CHOKEPOINT_CACHE_DIR": str(tmp_path)}
    first = start_server(env)
    assert first["altair_loaded"]  # nothing on disk yet: built with Altair, then saved
    assert len(list((tmp_path / "chart-templates").glob("*.json"))) == 2
    second = start_server(env)
    assert not second["altair_loaded"]
    assert second["specs"] == first["specs"]


def test_an_edited_data_file_is_drawn_after_a_restart_not_a_stale_template(tmp_path, data_copy):
    env = {"CHOKEPOINT_CACHE_DIR": str(tmp_path / "cache"), "CHOKEPOINT_DATA_DIR": str(data_copy)}
    before = start_server(env)["specs"]["headline_shares"]
    old = "H20 exports to China require a licence"
    assert any(old in title for title in event_titles(before))
    events = data_copy / "policy_events.csv"
    events.write_text(events.read_text().replace(old, "H20 exports need a licence (edited)"))
    after = start_server(env)["specs"]["headline_shares"]
    titles = " | ".join(event_titles(after))
    assert "H20 exports need a licence (edited)" in titles and old not in titles


def test_a_corrupt_or_unwritable_cache_still_gives_the_chart(tmp_path, monkeypatch):
    monkeypatch.setenv("CHOKEPOINT_CACHE_DIR", str(tmp_path))
    path = specs.template_path(ROOT / "data", "headline_shares", 2028, True, ())
    path.parent.mkdir(parents=True)
    path.write_text('{"layer": [')  # a file cut short by a crash
    assert specs.load_template(path) is None
    specs.save_template(path, {"datasets": {"main": []}, "mark": "bar"})
    assert specs.load_template(path) == {"datasets": {"main": []}, "mark": "bar"}
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where the cache folder should be")
    monkeypatch.setenv("CHOKEPOINT_CACHE_DIR", str(blocked))
    specs.save_template(specs.template_path(ROOT / "data", "risk_usd", 2028), {"datasets": {}})  # no exception
    env = {"CHOKEPOINT_CACHE_DIR": str(blocked)}
    result = start_server(env)
    assert result["specs"]["headline_shares"]["datasets"]["main"]


def test_the_chart_on_screen_has_the_scenarios_own_rows_and_follows_new_model_inputs():
    """What a slider move draws comes from a process-wide cache (resources.chart_on_screen): its Arrow data must
    hold exactly the rows of the scenario asked for, and clearing Streamlit's caches (new model inputs, as after
    a data change) must not leave the old chart on screen."""
    import pyarrow as pa
    import streamlit as st

    from chokepoint.ui import resources

    inputs = resources.model_inputs()
    reference = resources.Scenario.create(25, 90, inputs=inputs).key()
    shown = {}
    for levers in ((40, 70), (90, 20)):
        key = resources.Scenario.create(*levers, inputs=inputs).key()
        on_screen = resources.chart_on_screen("risk_usd", key, reference, 2030, True)
        rows = resources.chart_spec("risk_usd", key, reference, 2030, True)["datasets"]
        assert set(on_screen["datasets"]) == set(rows)
        for name, data in on_screen["datasets"].items():
            assert pa.ipc.open_stream(data).read_all().to_pylist() == rows[name], (levers, name)
        shown[levers] = on_screen
        assert resources.chart_on_screen("risk_usd", key, reference, 2030, True) is on_screen  # made once
    assert shown[(40, 70)]["datasets"] != shown[(90, 20)]["datasets"]
    st.cache_resource.clear()
    key = resources.Scenario.create(40, 70, inputs=resources.model_inputs()).key()
    assert resources.chart_on_screen("risk_usd", key, reference, 2030, True) is not shown[(40, 70)]
