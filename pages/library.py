"""Library: every saved scenario, searchable; open, duplicate, archive (archived links keep working). A split page
with no live part: nothing on it follows the headline levers, so a slider move redraws only the sliders and the
notices at the top (it re-read the store and redrew every saved scenario: 37 ms of server CPU a move)."""
import streamlit as st

from chokepoint import views
from chokepoint.store import StoreError
from chokepoint.ui import resources, saved, shell
from chokepoint.formatting import number


def _duplicate(settings: dict) -> None:
    saved.forget_loaded()
    st.session_state["library_open"] = {k: f"{v:g}" for k, v in settings.items()}


def _archive(scenario_id: str) -> None:
    try:
        saved.store().archive(scenario_id)
    except StoreError as exc:
        st.session_state["library_error"] = f"Not archived: {saved.plain(exc)}"


@shell.split_page
def page(frame) -> None:
    if "library_open" in st.session_state:  # a Duplicate click: open the copy, unsaved, on the Scenario page
        st.switch_page("pages/scenario.py", query_params=st.session_state.pop("library_open"))
    if "library_error" in st.session_state:
        st.error(st.session_state.pop("library_error"))
    st.title("Library of saved scenarios")
    st.markdown("Every scenario saved from any page (sidebar → **Save this scenario**). Links never die: archiving only "
                "hides a scenario from this list.")

    search_column, archived_column = st.columns([3, 1])
    search = search_column.text_input("Search by name", key="library_search")  # no max_chars: a longer paste was emptied
    include_archived = archived_column.toggle("Show archived", key="library_archived")
    try:
        records = saved.store().list(search, include_archived=include_archived)
    except StoreError as exc:
        st.error(f"Saved scenarios cannot be read right now: {saved.plain(exc)}")
        records = []
    read_only = saved.read_only_message()
    if read_only:
        st.info(f"Archiving is off: {saved.plain(read_only)}.", icon=":material/lock:")
    if getattr(records, "skipped", ()):
        skipped = records.skipped
        st.warning(f"{len(skipped)} saved scenario{'s are' if len(skipped) > 1 else ' is'} damaged in the store and left "
                   f"out: {', '.join(saved.quoted(i) for i in skipped[:10])}{' …' if len(skipped) > 10 else ''}. "
                   "The rest are fine.", icon=":material/report:")

    if not records:
        st.info("No saved scenarios match." if search else "No saved scenarios yet: set the levers, then use "
                "**Save this scenario** in the sidebar.")

    for record in records:
        with st.container(border=True):
            text, numbers, actions = st.columns([5, 3, 2])
            title = f"**{saved.plain(record.name)}**" + ("  ·  *archived*" if record.archived else "")
            settings = ", ".join(f"{k}={v:g}" for k, v in record.settings.items())
            text.markdown(f"{title}  \n{saved.plain(record.note[:300])}")
            text.caption(f"{saved.plain(settings)} · saved {saved.plain(record.created_at[:16].replace('T', ' '))} UTC · "
                         f"model {saved.plain(record.model_version)} · id {saved.plain(record.id)}")
            key_numbers = saved.headline_numbers(record).get("2028", {})
            numbers.markdown(
                f"2028: Nvidia share **{number(key_numbers.get('nvidia_share', float('nan')), 'fraction')}**, "
                f"domestic **{number(key_numbers.get('domestic_share', float('nan')), 'fraction')}**, "
                f"US revenue at risk **{number(key_numbers.get('us_at_risk', float('nan')), 'USD bn')}**")
            actions.page_link("pages/scenario.py", label="Open", icon=":material/open_in_new:",
                              query_params={"scenario": record.id})
            actions.button("Duplicate", key=f"duplicate::{record.id}", icon=":material/content_copy:",
                           on_click=_duplicate, args=(record.settings,),
                           help="Open an unsaved copy of these inputs to change and save under a new name")
            if not record.archived and not read_only:
                actions.button("Archive", key=f"archive::{record.id}", icon=":material/archive:", on_click=_archive,
                               args=(record.id,), help="Hide from this list; the link keeps working")

