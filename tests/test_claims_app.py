"""AppTest: the Claims page (registered in the navigation as pages/claims.py) shows every claim with its verdict,
its computed condition and a link that opens the dashboard there, and the system comparison table. Every run a
test makes goes through apptests.assert_page_healthy (no exception, no st.error, no chart drawn from empty or NaN
data); the test that breaks the claims files on purpose allows only the error it causes."""
import re

import pytest
from apptests import assert_page_healthy, run_app

from chokepoint import claims, systems

PAGE = "pages/claims.py"


def unescape(markdown: str) -> str:
    return re.sub(r"\\(.)", r"\1", markdown)


@pytest.fixture(scope="module")
def checked(inputs, database):
    return claims.check_claims(inputs, database)


@pytest.fixture(scope="module")
def page():
    return assert_page_healthy(run_app(PAGE))


def texts(at) -> str:
    return "\n".join(unescape(el.value) for el in list(at.markdown) + list(at.caption))


def test_claims_page_runs(page):
    assert_page_healthy(page)
    assert [t.value for t in page.title] == ["Claims, checked"]


def test_every_claim_is_shown_with_its_verdict_and_explanation(page, checked):
    shown = texts(page)
    badges = [el.value for el in page.markdown if "-badge[" in el.value]
    assert len(badges) == len(checked)
    for claim, badge in zip(checked, badges):
        assert claim.claim in shown, claim.claim_id
        assert claim.explanation in shown, claim.claim_id
        assert claim.made_by in shown, claim.claim_id
        if claim.odds is None:
            assert claim.verdict.capitalize() in badge, claim.claim_id
        else:  # a claim that depends on the model shows its odds; its verdict at the defaults is still said
            assert claim.odds.label in unescape(badge), claim.claim_id
            assert claim.odds.sentence in shown and f"the verdict is “{claim.verdict}”" in shown, claim.claim_id
    assert not page.warning, "a stored verdict disagrees with the computed one"


def test_claims_that_depend_on_the_model_show_how_often_they_hold(page, checked):
    with_odds = {c.claim_id: c.odds for c in checked if c.odds is not None}
    # every threshold claim, and the figure claim read from a model figure (C10, Huawei's 2026 share)
    assert {c.claim_id for c in checked if c.condition is not None} | {"C10"} == set(with_odds)
    shown = texts(page)
    for claim_id, odds in with_odds.items():
        assert 0 <= odds.share <= 1 and odds.effective >= 100 and odds.draws == 1000, claim_id
        assert odds.label == "Outside the model's range" or "plausible draw" in odds.label
        assert odds.sentence in shown, claim_id
    assert f"{len(with_odds)} depend on the model and are shown with their odds" in shown


def test_scenario_claims_show_the_condition_and_open_the_dashboard_there(page, checked):
    shown = texts(page)
    for claim in checked:
        if claim.condition is None:
            continue
        assert claim.condition.sentence in shown, claim.claim_id
        for _, settings in claim.condition.links():
            assert f"]({claim.condition.link(settings)})" in shown, claim.claim_id


def test_figures_list_their_sources(page, checked, database):
    shown = texts(page)
    for claim in checked:
        for source_id in claim.source_ids:
            assert f"({source_id})" in shown, (claim.claim_id, source_id)


def test_system_comparison_table_and_takeaway(page, database):
    frames = [el.value for el in page.dataframe]
    tables = [f for f in frames if "tflops_per_kw" in f.columns]
    assert tables and {"Huawei CloudMatrix 384", "NVIDIA GB200 NVL72"} <= set(tables[0].system)
    takeaway = systems.system_takeaway(systems.system_table(database))
    assert f"**Takeaway:** {takeaway}" in [el.value for el in page.markdown]


def test_the_sidebar_scenario_is_checked_against_each_condition(page, checked):
    claim = next(c for c in checked if c.claim_id == "C09")
    (holding, outside), = claim.condition.boundaries
    assert_page_healthy(page.slider(key="self_reliance").set_value(outside).run())
    line = next(t for t in texts(page).splitlines() if t.startswith("In the scenario in the sidebar: Huawei"))
    assert "so the claim does not hold at the parameter defaults; it holds in " in line
    assert line.endswith(" of plausible draws.") or line.endswith("in no plausible draw.")
    assert_page_healthy(page.slider(key="self_reliance").set_value(holding).run())
    line = next(t for t in texts(page).splitlines() if t.startswith("In the scenario in the sidebar: Huawei"))
    assert "so the claim holds at the parameter defaults; it holds in " in line


def test_a_claims_file_problem_is_a_message_not_a_traceback(monkeypatch):
    import streamlit as st

    from chokepoint.data import DataError

    def broken(*args, **kwargs):
        raise DataError("data/claim_figures.csv (C01/mizuho): selector needs year")
    monkeypatch.setattr(claims, "check_claims", broken)
    st.cache_resource.clear()
    try:
        at = assert_page_healthy(run_app(PAGE), allow_errors="The claims files could not be checked")
        assert any("could not be checked" in e.value and "C01/mizuho" in e.value for e in at.error)
    finally:
        st.cache_resource.clear()


def test_the_page_styles_every_badge_the_claims_can_have():
    """Every verdict (formatting.VERDICTS) and every odds band has a colour and icon, not only those in use today."""
    import ast
    from pathlib import Path

    from chokepoint import formatting

    tree = ast.parse((Path(__file__).resolve().parent.parent / PAGE).read_text(encoding="utf-8"))
    badges = next(node.value for node in tree.body if isinstance(node, ast.Assign)
                  and any(getattr(t, "id", None) == "BADGES" for t in node.targets))
    assert {ast.literal_eval(key) for key in badges.keys} == set(formatting.VERDICTS) | set(claims.ODDS_BANDS)
