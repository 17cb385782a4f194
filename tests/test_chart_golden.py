"""Golden chart specs: the Vega-Lite JSON of key charts for a fixed scenario. A change to a chart (or to the
numbers it draws) shows up here as a readable diff. Regenerate on purpose with CHOKEPOINT_UPDATE_GOLDEN=1."""
import json
import os
from pathlib import Path

import pytest

from chokepoint.params import Scenario
from chokepoint.ui import resources

GOLDEN = Path(__file__).resolve().parent / "golden"
CASES = [("headline_shares", 80, 60), ("risk_usd", 80, 60), ("supply", 40, 90)]


def normalised(spec: dict) -> str:
    return json.dumps(spec, indent=1, sort_keys=True, default=float)


@pytest.mark.parametrize("kind,ec,sr", CASES)
def test_chart_spec_matches_golden(kind, ec, sr):
    inputs = resources.model_inputs()
    scenario = Scenario.create(ec, sr, inputs=inputs).key()
    reference = Scenario.create(inputs=inputs).key()
    text = normalised(resources.chart_spec(kind, scenario, reference, 2028))
    path = GOLDEN / f"{kind}-{ec}-{sr}.json"
    if os.environ.get("CHOKEPOINT_UPDATE_GOLDEN") == "1":
        path.write_text(text + "\n")
        pytest.skip(f"{path.name} rewritten: review the diff, then run again without CHOKEPOINT_UPDATE_GOLDEN")
    assert path.exists(), f"missing golden file {path.name}: run with CHOKEPOINT_UPDATE_GOLDEN=1"
    expected = path.read_text().rstrip("\n")
    assert text == expected, f"{kind} spec changed; inspect the diff and regenerate if intended"


def test_rendering_a_chart_does_not_change_the_shared_template():
    """st.vega_lite_chart edits the dict it is given; the cached template must not see that."""
    inputs = resources.model_inputs()
    scenario = Scenario.create(80, 60, inputs=inputs).key()
    reference = Scenario.create(inputs=inputs).key()
    before = normalised(resources.chart_spec("risk_usd", scenario, reference, 2028))
    from streamlit.elements.vega_charts import _patch_null_legend_titles

    _patch_null_legend_titles(resources.chart_spec("risk_usd", scenario, reference, 2028))
    assert normalised(resources.chart_spec("risk_usd", scenario, reference, 2028)) == before
