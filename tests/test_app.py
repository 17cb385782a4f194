"""AppTest: every page runs whole (no exception, no st.error, no chart drawn from empty or NaN data), and the
sidebar drives what the pages show. Every run a test makes goes through apptests.assert_page_healthy."""
import json

import pytest
from apptests import assert_page_healthy, charts, run_app, shown

from chokepoint.engine import rung_levels
from chokepoint.params import FIRST_LEVER_YEAR, HEADLINE_LEVERS, YEARS
from chokepoint.ui.shell import PAGES as MENU

PAGES = [path for path, *_ in MENU]  # every page in the app's menu, the default (Scenario) first
assert PAGES[0] == "pages/scenario.py"
CHART_PAGES = ["pages/scenario.py", "pages/china_market.py", "pages/revenue_exposure.py", "pages/domestic_supply.py",
               "pages/uncertainty.py", "pages/compare.py"]
# The levers a link without them means (the "As announced for 2026" preset).
DEFAULT_EC, DEFAULT_SR = (int(HEADLINE_LEVERS[k].default) for k in ("export_controls", "self_reliance"))


def chart_specs(at) -> list[dict]:
    return [json.loads(el.proto.spec) for el in charts(at)]


def chart_data(at) -> list:
    """The data each chart draws (Streamlit ships a spec's datasets as Arrow bytes)."""
    return [(el.proto.data.data, *(d.data.data for d in el.proto.datasets)) for el in charts(at)]


def metrics(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


@pytest.mark.parametrize("page", PAGES)
def test_every_page_runs_and_shows_its_content(page, isolated_store):
    at = assert_page_healthy(run_app(None if page == PAGES[0] else page))
    assert len(at.title) == 1
    if page in CHART_PAGES:
        specs = chart_specs(at)
        assert specs, "no chart"
        for spec in specs:
            assert spec.get("title"), "every chart has a title"
        takeaways = [m.value for m in at.markdown if m.value.startswith("**Takeaway:**")]
        assert len(takeaways) >= 1


def test_sliders_change_the_charts_and_numbers():
    at = assert_page_healthy(run_app())
    before_data, before_metrics = chart_data(at), metrics(at)
    assert_page_healthy(at.slider(key="export_controls").set_value(100).run())
    after = metrics(at)
    assert after["Nvidia share"] == "0.0%"
    assert after != before_metrics
    assert chart_data(at) != before_data


@pytest.mark.parametrize("page", [p for p in CHART_PAGES[1:] if p != "pages/compare.py"])  # Compare ignores the sidebar
def test_slider_moves_reach_every_chart_page(page):
    at = assert_page_healthy(run_app(page))
    before = chart_data(at)
    assert_page_healthy(at.slider(key="self_reliance").set_value(10).run())
    assert chart_data(at) != before


def test_presets_set_the_levers_and_reset_restores_defaults(inputs):
    at = assert_page_healthy(run_app())
    for name, (ec, sr, _) in inputs.presets.items():
        assert_page_healthy(at.button(key=f"preset::{name}").click().run())
        assert (at.slider(key="export_controls").value, at.slider(key="self_reliance").value) == (ec, sr)
        assert name in at.caption[0].value  # the scenario line names the preset
    reset = next(b for b in at.button if b.label == "Reset to defaults")
    assert_page_healthy(reset.click().run())
    assert (at.slider(key="export_controls").value, at.slider(key="self_reliance").value) == (DEFAULT_EC, DEFAULT_SR)


def test_advanced_override_changes_results_and_lands_in_the_url():
    at = assert_page_healthy(run_app())
    before = chart_data(at)
    assert_page_healthy(at.number_input(key="equipment_controls").set_value(100.0).run())
    assert chart_data(at) != before
    assert "equipment_controls=100" in at.caption[0].value


def test_url_values_set_the_levers():
    at = assert_page_healthy(run_app(export_controls="80", self_reliance="35", year="2032", reference="Détente"))
    assert at.slider(key="export_controls").value == 80
    assert at.slider(key="self_reliance").value == 35
    assert at.slider(key="year").value == 2032  # the horizon
    assert any("projection for **2032**" in m.value for m in at.main.markdown)
    assert "reference: Détente" in at.caption[0].value


@pytest.mark.parametrize("query,expected,in_use", [
    ({"export_controls": "abc"}, "“export_controls=abc” is not a number", (DEFAULT_EC,)),
    ({"self_reliance": "150"}, "“self_reliance=150” is outside 0–100", (DEFAULT_EC,)),
    ({"export_controls": "nan"}, "not a finite number", (DEFAULT_EC,)),
    ({"export_controls": "inf"}, "not a finite number", (DEFAULT_EC,)),
    ({"export_controls": "12.5"}, "not a whole number", (12, 13)),
    ({"budget_growth": "9"}, "“budget_growth=9” is outside 0.15–0.55", (DEFAULT_EC,)),
    ({"reference": "<script>alert(1)</script>"}, "is not a preset", (DEFAULT_EC,)),
    ({"year": "1999"}, "“year=1999” is outside 2027–2032", (DEFAULT_EC,)),
    ({"year": "2026"}, "“year=2026” is outside 2027–2032", (DEFAULT_EC,)),  # replayed: no lever acts on it
    ({"utm_source": "mail"}, "“utm_source” is not a setting of this app", (DEFAULT_EC,)),
])
def test_bad_url_values_give_a_notice_and_safe_values(query, expected, in_use):
    at = assert_page_healthy(run_app(**query))
    notices = [shown(w.value) for w in at.warning]
    assert notices and expected in notices[0], notices
    assert at.slider(key="export_controls").value in in_use
    assert at.slider(key="self_reliance").value == DEFAULT_SR
    assert "budget_growth" not in at.caption[0].value and "Détente" not in at.caption[0].value


def test_good_url_values_give_no_notice():
    at = assert_page_healthy(run_app(export_controls="60", self_reliance="70", hbm_controls="80", budget_growth="0.3"))
    assert not at.warning


def test_the_headline_year_runs_over_the_years_the_levers_act_on():
    at = assert_page_healthy(run_app())
    year = at.slider(key="year")
    assert (year.min, year.max) == (FIRST_LEVER_YEAR, YEARS[-1]) == (2027, 2032)


def rung_line(at) -> str:
    return next(c.value for c in at.sidebar.caption if c.value.startswith(f"**{at.slider(key='export_controls').value}**"))


def test_the_export_controls_caption_names_what_the_rung_imposes(inputs):
    at = assert_page_healthy(run_app())
    for value in (DEFAULT_EC, 100, 10):
        if value != DEFAULT_EC:
            assert_page_healthy(at.slider(key="export_controls").set_value(value).run())
        levels = rung_levels(value, inputs)
        line = rung_line(at)
        assert inputs.anchor_label("export_controls", value) in line
        assert (f"tools {levels['equipment_controls']:.0f} · HBM {levels['hbm_controls']:.0f} · "
                f"enforcement {levels['enforcement']:.0f}") in line, line
    assert "tools 100 · HBM 100 · enforcement 100" in rung_line(assert_page_healthy(
        at.slider(key="export_controls").set_value(100).run()))


def test_empty_advanced_levers_take_the_rungs_values_without_an_override(inputs):
    at = assert_page_healthy(run_app(export_controls="75"))
    levels = rung_levels(75, inputs)
    for name in ("chip_controls", "equipment_controls", "hbm_controls", "enforcement"):
        box = at.number_input(key=name)
        # The box says it follows; the level it follows is written under the slider (a slider move does not
        # redraw the advanced boxes).
        assert box.value is None and box.placeholder.startswith("follows the "), (name, box.placeholder)
        assert f"{name}=" not in at.caption[0].value  # an empty box sends no override
    assert at.number_input(key="reaction").placeholder == "default 0"
    typed = assert_page_healthy(run_app(export_controls="75", hbm_controls=f"{levels['hbm_controls']:g}"))
    assert f"hbm_controls={levels['hbm_controls']:g}" in typed.caption[0].value  # a typed value is an override
    assert metrics(typed) == metrics(at)  # ... equal to what the rung imposes, so the numbers do not move


def test_the_china_market_page_states_the_grey_channel_with_its_range():
    at = assert_page_healthy(run_app("pages/china_market.py"))
    line = next(m.value for m in at.markdown if m.value.startswith("**Grey market:**"))
    assert "In 2028" in line and "smuggled" in line and "P5-P95" in line and "$" in line and "B" in line
    assert_page_healthy(at.toggle(key="bands").set_value(False).run())
    line = next(m.value for m in at.markdown if m.value.startswith("**Grey market:**"))
    assert "P5-P95" not in line and "$" in line


def test_methodology_shows_model_2_corners_checks_evidence_and_backtest(inputs):
    """The numbers an analyst asks about, on the page: the corner table, every plausibility check passing,
    out-of-sample evidence apart from calibration, and the backtest scorecard."""
    from chokepoint.check import run_checks
    from chokepoint.validation import backtest, backtest_scores, validation_table

    at = assert_page_healthy(run_app("pages/methodology.py"))
    headers = [h.value for h in (*at.header, *at.subheader)]  # whichever level the page uses
    for expected in ("Model 2 — what changed and why", "Plausibility checks over the whole lever square",
                     "Validation: what is evidence and what is calibration", "Backtest: the model's track record"):
        assert expected in headers, headers
    text = "\n".join(m.value for m in at.markdown)
    table = validation_table(inputs)
    evidence = table[table.kind == "out-of-sample"]
    assert f"**Out-of-sample: {int(evidence.passed.sum())} of {len(evidence)} pass.**" in text
    for row in backtest_scores(backtest(inputs)).itertuples():
        assert f"**{row.year}** (data through {row.fitted_through}): {row.inside} of {row.targets} inside" in text
    frames = [df.value for df in at.dataframe]
    checks = next(f for f in frames if "measured" in f.columns)
    assert list(checks.result) == ["pass"] * len(run_checks(inputs))
    corners = next(f for f in frames if "model_1_1" in f.columns)
    assert len(corners) == 7 and corners.model_2.str.len().min() > 20


def test_the_lever_help_names_what_each_rung_imposes_and_its_sources():
    at = assert_page_healthy(run_app())
    ec_help = at.slider(key="export_controls").help
    assert "**25** — H200" in ec_help and "tools 70 · HBM 75 · enforcement 65" in ec_help and "F115" in ec_help
    sr_help = at.slider(key="self_reliance").help
    assert "**90** — 2026 as it happened" in sr_help and "2% of licensed US parts let in" in sr_help


def test_a_change_that_rounds_to_zero_shows_no_rise_arrow(isolated_store):
    """The default scenario against its own reference: every headline change is zero and shown as "0.0 pts",
    "0k", "$0.0B". Streamlit drew each as a rise (an up arrow); a briefing audience reads that as a change."""
    from streamlit.proto.Metric_pb2 import Metric

    at = assert_page_healthy(run_app(reference="As announced for 2026"))
    shown = {m.label: (m.proto.delta, m.proto.direction) for m in at.metric}
    assert len(shown) == 5
    zero = {label for label, (delta, _) in shown.items() if not any(d in delta for d in "123456789")}
    assert zero, shown  # the default scenario is its own reference: its changes round to zero
    for label, (delta, direction) in shown.items():
        if label in zero:
            assert direction == Metric.MetricDirection.NONE, (label, delta)
    moved = assert_page_healthy(run_app(reference="As announced for 2026", export_controls="100"))
    directions = {m.proto.direction for m in moved.metric}
    assert directions & {Metric.MetricDirection.UP, Metric.MetricDirection.DOWN}, "a real change lost its arrow"
