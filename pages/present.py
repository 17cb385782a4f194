"""Briefing mode: decks of saved scenarios and presets, presented full screen, one step at a time.
Lays out the page; the deck logic is chokepoint/ui/decks.py."""
import streamlit as st

from chokepoint import MODEL_VERSION, specs, views
from chokepoint.store import StoreError
from chokepoint.ui import decks, exporting, resources, saved, shell


@shell.page
def page(context) -> None:
    inputs = context.inputs

    deck_id = st.query_params.get("deck")
    deck = None
    if deck_id:
        deck, missing = decks.open_deck(deck_id)
        if deck is None:
            st.warning(f"{missing}; showing the deck builder instead.")
            del st.query_params["deck"]
            deck_id = None

    if deck_id or st.query_params.get("present") == "1":
        st.html(decks.PRESENT_CSS)
        slide = decks.slide(deck, context)
        st.title(saved.plain(slide.title))
        where = f"{saved.plain(slide.deck_title)} · step {slide.number} of {slide.count}"
        if slide.problem is not None:
            st.markdown(where)
            st.error(f"Step {slide.number} cannot be shown: {saved.plain(slide.problem)}. The other steps can: ◀ ▶ below "
                     "(or the arrow keys) move on, and Briefing mode can rebuild the deck without this step.")
        else:
            run = resources.results(slide.scenario.key())
            reference = resources.results(context.reference_key)
            st.markdown(f"{where} · {saved.plain(slide.scenario.label())}")
            for column, headline in zip(st.columns(5), views.headlines(run, reference, context.year)):
                column.metric(headline.label, headline.formatted(), headline.formatted_delta(),
                              delta_arrow=headline.delta_arrow(), delta_color="off")
            spec = resources.chart_spec("headline_shares", slide.scenario.key(), context.reference_key, context.year)
            st.vega_lite_chart(resources.arrow_ready(specs.large_type(spec)), width="stretch", alt=shell.chart_alt("headline_shares", context.year))
            st.markdown(f"**{views.share_takeaway(run, context.year)}**")
            if slide.notes:
                st.caption("Inputs mapped to today's model: " + "; ".join(slide.notes))
        back, forward, leave, notes_column = st.columns([1, 1, 1.4, 3.6])
        back.button("◀ Previous", key="present_prev", shortcut="Left", disabled=slide.number <= 1,
                    on_click=decks.go_to, args=(slide.number - 1,))
        forward.button("Next ▶", key="present_next", shortcut="Right", disabled=slide.number >= slide.count,
                       on_click=decks.go_to, args=(slide.number + 1,))
        if leave.button("Leave: Briefing mode", key="present_leave", shortcut="Escape", icon=":material/logout:"):
            st.switch_page("pages/present.py", query_params={})  # the builder; {}, not None: None may not clear levers
        if slide.speaker_notes:
            with notes_column.expander("Speaker notes"):
                st.markdown(saved.plain(slide.speaker_notes))
        st.caption(f"Link: {slide.link} · model {MODEL_VERSION}, data {inputs.data_version} · "
                   f"reference {context.reference.name}")
        st.stop()

    st.title("Briefing mode")
    st.markdown("Build a **deck**: an ordered list of saved scenarios and presets, each with a title and speaker notes. "
                "A deck has its own permanent link and is presented full screen, one step at a time (buttons or the "
                "← → keys). Or present the current scenario on its own: "
                f"[present now](/present?present=1&{saved.settings_query(context.scenario.settings())}).")

    choices, problem = decks.choices(inputs)
    if problem:
        st.error(problem)
    read_only = saved.read_only_message()

    st.text_input("Deck title", key="deck_title", placeholder="e.g. Export controls: three futures",
                  help="Up to 120 characters")
    with st.form("deck-builder"):
        st.multiselect("Steps, in order", list(choices), format_func=lambda ref: choices.get(ref, ref),
                       max_selections=12, key="deck_steps")
        st.form_submit_button("Next: titles and notes", on_click=decks.new_draft, args=(choices,))

    draft = decks.draft()
    if draft and draft["steps"]:
        st.data_editor(draft["table"], disabled=["scenario"], hide_index=True, width="stretch",
                       key=f"deck_editor::{draft['number']}")
        st.button("Save deck", type="primary", key="deck_save", on_click=decks.save_draft, disabled=bool(read_only))
        if read_only:
            st.caption(f"Saving is off: {saved.plain(read_only)}.")
    error, saved_id = decks.save_outcome()
    if error:
        st.error(error)  # the store's own words, no user text
    if saved_id:
        st.success("Deck saved. Permanent link:")
        st.code(saved.link_for_deck(saved_id), language=None)

    st.header("Saved decks")
    try:
        saved_decks = saved.store().list_decks()
    except StoreError as exc:
        st.error(f"Decks cannot be read right now: {saved.plain(exc)}")
        saved_decks = []
    if getattr(saved_decks, "skipped", ()):
        skipped = saved_decks.skipped
        st.warning(f"{len(skipped)} saved deck{'s are' if len(skipped) > 1 else ' is'} damaged in the store "
                   f"and left out: {', '.join(saved.quoted(i) for i in skipped[:10])}.")
    if not saved_decks:
        st.info("No decks yet.")
    for deck in saved_decks:
        with st.container(border=True):
            left, right = st.columns([4, 2])
            left.markdown(f"**{saved.plain(deck.title)}** · {len(deck.steps)} steps · saved "
                          f"{saved.plain(deck.created_at[:10])}  \n" + " → ".join(saved.plain(s.title) for s in deck.steps))
            right.page_link("pages/present.py", label="Present", icon=":material/slideshow:",
                            query_params={"deck": deck.id, "step": "1"})
            right.button("Check and warm", key=f"warm::{deck.id}", icon=":material/fact_check:",
                         help="Open and compute every step now, so the room sees no waiting; report any failure",
                         on_click=decks.warm, args=(deck, context))
            report = decks.warm_report(deck)
            if report is not None:
                failed = (report.status != "ok").sum()
                (st.error if failed else st.success)(f"{len(report) - failed} of {len(report)} steps open and compute.")
                st.dataframe(report, hide_index=True, width="stretch")
            exporting.pack_buttons(deck.title, [(s.title, s.ref, s.notes) for s in deck.steps],
                                   lambda ref: decks.resolve(ref, inputs), context,
                                   key=f"deck::{deck.id}", container=right, link=saved.link_for_deck(deck.id))

