"""The chart catalogue: one entry per chart kind, read by pages, exports and packs.

A page draws another scenario by swapping its rows into a template built from the default scenario
(`catalogue.fill`); that must give exactly the chart a fresh build for that scenario gives. Golden specs
pin every kind (regenerate on purpose with CHOKEPOINT_UPDATE_GOLDEN=1 and review the diff)."""
import json
import os
from pathlib import Path

import pytest

from chokepoint import catalogue, views
from chokepoint.engine import run_scenario
from chokepoint.params import Scenario
from chokepoint.uncertainty import run_draws

GOLDEN = Path(__file__).resolve().parent / "golden"
YEAR = 2028
SCENARIOS = [(80, 60), (15, 95)]  # two non-default corners of the lever square


@pytest.fixture(scope="module")
def statics(database):
    return catalogue.Statics(database)


@pytest.fixture(scope="module")
def run_of(inputs):
    cache = {}

    def run(ec=None, sr=None):
        if (ec, sr) not in cache:
            scenario = Scenario.create(ec, sr, inputs=inputs)
            cache[(ec, sr)] = (scenario, views.Results(run_scenario(scenario, inputs).rows()))
        return cache[(ec, sr)]
    return run


def normalised(spec: dict) -> str:
    return json.dumps(spec, indent=1, sort_keys=True, default=float)


@pytest.mark.parametrize("name", sorted(catalogue.CATALOGUE))
@pytest.mark.parametrize("ec,sr", SCENARIOS)
def test_a_filled_template_equals_a_fresh_build(name, ec, sr, statics, run_of, inputs):
    kind = catalogue.CATALOGUE[name]
    _, default = run_of()
    scenario, run = run_of(ec, sr)
    bands = default_bands = None
    if kind.banded:
        default_bands = catalogue.band_rows(name, run_draws(Scenario.create(inputs=inputs), inputs, 200))
        bands = catalogue.band_rows(name, run_draws(scenario, inputs, 200))
    template = catalogue.build(name, kind.rows(default, default, YEAR), statics, YEAR, default_bands)
    filled = catalogue.fill(template, name, kind.rows(run, default, YEAR), bands)
    fresh = catalogue.build(name, kind.rows(run, default, YEAR), statics, YEAR, bands)
    assert normalised(filled) == normalised(fresh)
    assert normalised(filled) != normalised(template), "the scenario's rows did not reach the chart"


@pytest.mark.parametrize("name", sorted(catalogue.CATALOGUE))
def test_every_chart_kind_matches_its_golden_spec(name, statics, run_of):
    kind = catalogue.CATALOGUE[name]
    _, reference = run_of()
    _, run = run_of(80, 60)
    text = normalised(catalogue.build(name, kind.rows(run, reference, YEAR), statics, YEAR))
    path = GOLDEN / f"{name}-80-60.json"
    if os.environ.get("CHOKEPOINT_UPDATE_GOLDEN") == "1":
        path.write_text(text + "\n")
        pytest.skip(f"{path.name} rewritten: review the diff, then run again without CHOKEPOINT_UPDATE_GOLDEN")
    assert path.exists(), f"missing golden file {path.name}: run with CHOKEPOINT_UPDATE_GOLDEN=1"
    assert text == path.read_text().rstrip("\n"), f"{name} spec changed; inspect the diff, regenerate if intended"


def test_the_chart_its_export_and_its_pack_slide_carry_one_title(inputs):
    from chokepoint import briefing
    scenario = Scenario.create(80, 60, inputs=inputs)
    for name, kind in catalogue.CATALOGUE.items():
        stamp = briefing.chart_stamp(name, briefing.Step("Test", scenario, ""), inputs, YEAR)
        assert stamp.title == kind.title_for(YEAR)
        assert "{" not in stamp.title and (str(YEAR) in stamp.title) == ("{year}" in kind.title)
