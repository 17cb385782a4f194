"""Uncertainty & drivers page (AppTest) and bands on the main projections. Every run a test makes goes through
apptests.assert_page_healthy (no exception, no st.error, no chart drawn from empty or NaN data)."""
import json

from apptests import assert_page_healthy, run_app


def page(**query):
    return assert_page_healthy(run_app("pages/uncertainty.py", **query))


def test_page_shows_probabilities_drivers_attribution_and_seek():
    at = page(export_controls="60", self_reliance="70")
    sentences = [line for m in at.markdown for line in m.value.splitlines() if line.startswith("- In ")]  # a list
    assert len(sentences) == 5 and all("draws" in s for s in sentences)
    specs = [json.loads(el.proto.spec) for el in at.get("vega_lite_chart")]
    assert len(specs) == 3  # banded shares, tornado, waterfall
    takeaway = next(m.value for m in at.markdown if "US controls alone account" in m.value)
    assert "interaction" in takeaway
    seek = next(m.value for m in at.markdown if "with US export controls at or below" in m.value)
    assert "Nvidia's China revenue in 2028 is above $5B" in seek
    assert "Across plausible draws (conditioned on history) that crossing lies between" in seek


def test_page_says_the_draws_are_conditioned_and_how_many_are_effective():
    from chokepoint.params import Scenario
    from chokepoint.ui import resources

    at = page(export_controls="60", self_reliance="70")
    said = [m.value for m in at.markdown if "calibration targets" in m.value]
    assert len(said) == 1 and said[0].count(". ") == 0  # one sentence
    draws = resources.draws(Scenario.create(60, 70, inputs=resources.model_inputs()).key())
    assert draws.conditioned and 1 <= draws.effective <= draws.draws
    assert f"{draws.effective:,.0f} of the 1,000 draws effective" in said[0]
    assert "the tornado and goal-seek all use these weighted draws" in said[0]
    assert any("P5 and its P95 among the conditioned draws" in c.value for c in at.caption)


def test_bands_are_drawn_by_default_and_can_be_turned_off():
    at = assert_page_healthy(run_app("pages/china_market.py"))
    names = [d.name for d in at.get("vega_lite_chart")[0].proto.datasets]
    assert "bands" in names
    assert_page_healthy(at.toggle(key="bands").set_value(False).run())
    names = [d.name for d in at.get("vega_lite_chart")[0].proto.datasets]
    assert "bands" not in names


def test_drivers_follow_the_chosen_output():
    at = page()
    before = at.get("vega_lite_chart")[1].proto.spec
    assert_page_healthy(at.selectbox(key="drivers_output").set_value("Huawei units sold in China").run())
    assert at.get("vega_lite_chart")[1].proto.spec != before


def test_an_absurd_goal_seek_target_gets_a_message_not_a_search():
    at = page()
    at.number_input(key="seek_target").set_value(1e308)
    assert_page_healthy(next(b for b in at.get("form_submit_button")).click().run())  # a warning, not an error
    warnings = [w.value for w in at.warning]
    assert any("must be between 0 and 10000 (USD bn); 1e+308 is outside it" in w for w in warnings), warnings
    assert not [m.value for m in at.markdown if "with US export controls at or below" in m.value]
