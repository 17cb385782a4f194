"""Claims, checked: published claims held against the sourced figures and, for the future, the model. A split page:
a slider move redraws the scenario line and each claim's line on the scenario in the sidebar, not the claims, their
sources or the systems table (it redrew the whole page: 55 ms of server CPU a move)."""
import functools

import streamlit as st

from chokepoint import claims, systems
from chokepoint.data import DataError
from chokepoint.ui import resources, saved, shell


BADGES = {  # badge style (a verdict, or the odds band of a claim that depends on the model) -> (colour, icon)
    "supported": ("green", ":material/check_circle:"),
    "partly supported": ("orange", ":material/rule:"),
    "contradicted": ("red", ":material/cancel:"),
    "depends on the scenario": ("blue", ":material/tune:"),
    "not checkable with this data": ("gray", ":material/help:"),
    "likely": ("green", ":material/check_circle:"),
    "uncertain": ("blue", ":material/casino:"),
    "unlikely": ("red", ":material/cancel:"),
}


@st.cache_resource(show_spinner="Checking the claims against the data and the model…")
def checked_claims(data_version: str) -> list[claims.CheckedClaim]:
    """Every claim, checked once per process (the lever grid is the slow part: ~10,000 engine runs)."""
    return claims.check_claims(resources.model_inputs(), resources.database())


@st.cache_resource(show_spinner=False)
def sources() -> dict[str, tuple[str, str]]:
    frame = resources.table("sources")
    return {row.source_id: (row.title, row.url) for row in frame.itertuples(index=False)}


def source_links(ids) -> str:
    known = sources()
    return "; ".join(f"[{saved.plain(known[i][0])}](<{known[i][1]}>) ({i})" if i in known else i for i in ids)


def figure_lines(figures) -> str:
    return "\n".join(f"- {saved.plain(figure.label)}: **{saved.plain(figure.text)}** — "
                     f"{claims.figure_origin(figure) or source_links(figure.source_ids)}" for figure in figures)


def in_scenario(claim_id: str, condition, context) -> None:
    """A claim's line on the scenario in the sidebar (a live part: it follows the levers), made once per scenario."""
    def line():
        run, draws = resources.results(context.key), resources.draws(context.key)
        return saved.plain("In the scenario in the sidebar: " + condition.in_scenario(run.value, draws))

    st.caption(resources.kept(("claim", claim_id, context.key), line))


def card(claim: claims.CheckedClaim) -> None:
    verdict = claim.current_verdict
    with st.container(border=True):
        label, style = claims.badge(claim)
        colour, icon = BADGES[style]
        st.badge(label, color=colour, icon=icon)
        st.markdown(f"**{saved.plain(claim.claim)}**")
        st.caption(f"Made by: {saved.plain(claim.made_by)} · claim {claim.claim_id}")
        if claim.odds is not None:
            st.markdown(f"**How often it holds:** {saved.plain(claim.odds.sentence)} At the parameter defaults "
                        f"the verdict is “{verdict}”.")
        if claim.needs_review:
            st.warning(f"The stored verdict is “{claim.verdict}” but the data and model now give “{verdict}”: "
                       "this claim needs review.", icon=":material/sync_problem:")
        st.markdown(saved.plain(claim.explanation))
        condition = claim.condition
        if condition is not None:
            links = " · ".join(f"[{saved.plain(label)}]({url})" for label, url in claims.condition_links(condition))
            if claim.explains_condition:
                st.markdown(f"**Open the dashboard at** {links}.")
            else:
                st.markdown(f"**When it holds:** {saved.plain(claim.condition_sentence)} "
                            f"Open the dashboard at {links}.")
            shell.live(functools.partial(in_scenario, claim.claim_id, condition))
        elif claim.check is not None:
            st.caption(saved.plain(claim.check.sentence))
        with st.expander(f"Figures and sources ({len(claim.figures)})"):
            st.markdown(figure_lines(claim.figures) or "No figures.")
            if claim.other_source_ids:
                st.caption("Other sources bearing on this claim: " + source_links(claim.other_source_ids))


@shell.split_page
def page(frame) -> None:
    st.title("Claims, checked")
    st.markdown(
        "Claims about AI-chip export controls from the seed article (a 2025 op-ed, *Huawei Turns Sanctions Into "
        "Strength*) and from analysts, in our own words, held against the sourced figures in the data and, for claims "
        "about the future, against the model. Where a claim can be tested the verdict is computed, not typed: the "
        "engine evaluates it at every whole-number setting of both levers (0–100, everything else at the model "
        "defaults), so a model change that flips a verdict shows here and fails the tests. A claim that depends on the "
        "model is shown with its odds: the share of plausible draws (1,000 Monte Carlo draws weighted by how well they "
        "reproduce the calibration targets) in which it holds.")
    shell.live(shell.scenario_caption)

    try:
        checked = checked_claims(frame.inputs.data_version)
    except DataError as exc:
        st.error(f"The claims files could not be checked, so no verdicts are shown: {exc}")
        st.stop()
    headline, rest = claims.summary(checked)
    st.markdown(f"**{headline}** {rest}")

    for claim in checked:
        card(claim)

    st.header("Systems, not chips: chips and rack-scale systems compared")
    table = systems.system_table(resources.database())
    st.markdown(f"**Takeaway:** {systems.system_takeaway(table)}")
    table["sources"] = [resources.cite(ids) for ids in table.source_ids]
    st.dataframe(
        table.drop(columns="source_ids"), hide_index=True, width="stretch",
        column_config={
            "system": "System or chip", "vendor": "Vendor", "kind": "Kind",
            "chips_per_system": st.column_config.NumberColumn("Chips", format="%.0f"),
            "bf16_dense_tflops": st.column_config.NumberColumn("BF16 dense TFLOPS", format="%.0f"),
            "memory_gb": st.column_config.NumberColumn("HBM (GB)", format="%.0f"),
            "memory_bandwidth_tbs": st.column_config.NumberColumn("HBM bandwidth (TB/s)", format="%.1f"),
            "power_kw": st.column_config.NumberColumn("Power (kW)", format="%.2f"),
            "tflops_per_kw": st.column_config.NumberColumn("TFLOPS per kW", format="%.0f"),
            "sources": "Sources",
        })
    st.caption("Systems' memory and bandwidth are their chips' totals (derived); None means unknown, not zero. "
               "Ascend 910B compute is contested (256–376 TFLOPS; 320 shown). Power for Huawei's chips is not in the "
               "sources, so their compute per kW is blank.")

