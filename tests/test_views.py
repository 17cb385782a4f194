"""Sentences the pages show, from real runs."""
from chokepoint.engine import run_scenario
from chokepoint.params import Scenario
from chokepoint.views import Results, grey_takeaway


def _run(inputs, ec, sr):
    return Results(run_scenario(Scenario.create(ec, sr, inputs=inputs), inputs).rows())


def test_grey_sentence_gives_units_dollars_share_and_range_under_a_ban(inputs):
    text = grey_takeaway(_run(inputs, 100, 50), 2028, {"china_units": (80e3, 140e3), "china_spend_usd_bn": (2.0, 3.5)})
    assert text.startswith("In 2028, about ") and "k AI chips are smuggled into China (P5-P95: 80k–140k)" in text
    assert "of realised spend" in text


def test_grey_sentence_says_none_when_nothing_is_smuggled(inputs):
    text = grey_takeaway(_run(inputs, 0, 0), 2028, {"china_units": (0.0, 0.0), "china_spend_usd_bn": (0.0, 0.0)})
    assert text.startswith("In 2028, no AI chips are smuggled into China") and "0k" not in text
