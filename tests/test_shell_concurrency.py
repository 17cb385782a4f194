"""Two sessions' script runs that overlap must not share per-run Streamlit objects (issue 15, defect 1).

st.navigation sets ``page._can_be_called = True`` on the chosen st.Page and ``page.run()`` clears it. With
the st.Page objects cached process-wide, session B's navigation could mark the shared page, session A's
run clear the mark, and B's run then raise "This page cannot be called directly". The browser version
(many people moving a slider at one instant) is tests/e2e/test_concurrency.py; this one forces the
interleaving with two AppTest sessions, so it fails every time on shared objects.
"""
import threading

from apptests import run_app
from streamlit.runtime.pages_manager import PagesManager

from chokepoint.ui import controls, shell

WAIT_S = 60


def test_every_run_builds_its_own_page_objects():
    first, second = shell._pages(), shell._pages()
    assert len(first) == len(shell.PAGES)
    assert not {id(p) for p in first} & {id(p) for p in second}


def test_two_sessions_whose_runs_overlap_both_get_their_page(monkeypatch):
    """Sessions A and B both go through st.navigation (which marks the chosen page object callable)
    before either runs its page; A then runs its page to the end (page.run() clears the mark on A's
    page object, and a follow-up rerun of A's does the same), and only then does B run its page."""
    render = controls.render
    order: list[int] = []  # the sessions' script threads, in the order they reached the sidebar
    lock = threading.Lock()
    both_navigated = threading.Barrier(2, timeout=WAIT_S)
    first_session_done = threading.Event()

    def render_in_step(inputs):
        me = threading.get_ident()  # AppTest gives every session the same session_id, but its own thread
        with lock:
            first_call = me not in order
            if first_call:
                order.append(me)
        if first_call:  # each session's first run only
            both_navigated.wait()  # both sessions have been through st.navigation
            if order.index(me) == 1:
                assert first_session_done.wait(WAIT_S), "the first session never finished"
        return render(inputs)

    # As on a served app after its lifespan (chokepoint/ui/startup.py): no legacy pages/ mode; and someone
    # has used it before (two first-ever runs at once could each build objects of their own).
    monkeypatch.setattr(PagesManager, "uses_pages_directory", False)
    assert not run_app().exception
    monkeypatch.setattr(controls, "render", render_in_step)
    results: dict[int, object] = {}

    def user(n: int) -> None:
        try:
            results[n] = run_app(timeout=120)
        except BaseException as error:  # noqa: BLE001  (reported below, in the test's thread)
            results[n] = error
        first_session_done.set()  # the other session is still held before its page: this one was A

    threads = [threading.Thread(target=user, args=(n,)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(WAIT_S * 3)
    assert len(order) == 2, "the two runs did not overlap as arranged"
    for n in range(2):
        at = results[n]
        assert not isinstance(at, BaseException), at
        assert not at.exception, [e.message for e in at.exception]
        assert at.get("vega_lite_chart"), f"session {n + 1} shows no chart"
