"""Server start: `streamlit run app.py` serves an st.App whose lifespan warms the process, and the warm-up
computes exactly what a first visitor's default view needs, or fails quietly and leaves the visitor a clear
message."""
import asyncio
import importlib.util
import logging
import threading
from pathlib import Path

import pytest
import streamlit as st
from apptests import run_app
from streamlit.runtime.pages_manager import PagesManager
from streamlit.web.server.app_discovery import discover_asgi_app

from chokepoint import charts
from chokepoint.ui import startup
from chokepoint.ui import resources

APP = Path(__file__).resolve().parent.parent / "app.py"


@pytest.fixture
def clean_caches():
    st.cache_resource.clear()
    yield
    st.cache_resource.clear()


def test_streamlit_run_app_py_serves_the_app_with_the_warm_up():
    found = discover_asgi_app(APP)
    assert found.is_asgi_app and found.import_string == "app:app"
    spec = importlib.util.spec_from_file_location("app", APP)  # what `streamlit run` does: import, not run
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert isinstance(module.app, st.App)
    assert module.app._user_lifespan is startup.lifespan


def test_the_lifespan_switches_to_app_navigation_before_any_session(monkeypatch):
    started = threading.Event()
    monkeypatch.setattr(startup, "warm", started.set)
    monkeypatch.setattr(PagesManager, "uses_pages_directory", None)  # a fresh process with a pages/ folder
    seen = []

    async def serve():
        async with startup.lifespan(None):
            seen.append(PagesManager.uses_pages_directory)

    # On a thread of its own: other tests (Playwright's sync API) may leave an event loop running here.
    runner = threading.Thread(target=asyncio.run, args=(serve(),))
    runner.start()
    runner.join(10)
    assert seen == [False]
    assert started.wait(5), "the warm-up thread never ran"


def test_after_the_warm_up_a_first_visitor_computes_no_scenario_and_no_chart(clean_caches, monkeypatch):
    startup.warm()
    scenario_runs, chart_builds = [], []
    run_scenario, spec = resources.run_scenario, charts.spec
    monkeypatch.setattr(resources, "run_scenario", lambda *a, **k: scenario_runs.append(a) or run_scenario(*a, **k))
    monkeypatch.setattr(charts, "spec", lambda *a, **k: chart_builds.append(a) or spec(*a, **k))
    at = run_app()
    assert not at.exception
    assert len(at.get("vega_lite_chart")) == 2
    assert scenario_runs == [] and chart_builds == []
    # and a moved slider still computes its own scenario (the caches are the app's, not a copy)
    at.slider(key="export_controls").set_value(70).run()
    assert len(scenario_runs) == 1


def test_a_failed_warm_up_logs_and_the_visitor_sees_the_data_problem(clean_caches, data_copy, monkeypatch, caplog):
    presets = data_copy / "presets.csv"
    presets.write_text(presets.read_text().replace("As announced for 2026,25,", "As announced for 2026,x,", 1))
    monkeypatch.setenv("CHOKEPOINT_DATA_DIR", str(data_copy))
    with caplog.at_level(logging.ERROR, logger="chokepoint.ui.startup"):
        startup.warm()  # does not raise: the server keeps starting
    assert "Warm-up at server start failed" in caplog.text
    at = run_app()
    assert not at.exception
    assert [e.value for e in at.error] and "data/presets.csv" in at.error[0].value
    assert "could not be loaded" in at.error[0].value


def test_the_app_redirects_deep_page_paths_and_handles_script_errors():
    spec = importlib.util.spec_from_file_location("app", APP)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.app._on_script_error is startup.on_script_error
    assert [m.cls for m in module.app._user_middleware] == [startup.StaticFromMemory, startup.PagePathRedirect,
                                                            startup.FullFirstRun]


@pytest.mark.parametrize("path,query,target", [
    ("/library/x", "", "/library"),
    ("/library/x/y/", "export_controls=80", "/library?export_controls=80"),
    ("/a/b", "", "/a"),
    ("/library", "", None), ("/", "", None), ("/present", "deck=abc", None),
    ("/_stcore/health", "", None), ("/static/js/index.js", "", None), ("/media/abc.png", "", None),
    ("/library/_stcore/health", "", None),  # the frontend probes for the app's base path
    # a Streamlit route name inside a page address is still a page address (was a blank page: the fuzz's #85)
    ("/china_market/static", "bands=x", "/china_market?bands=x"), ("/library/media", "", "/library"),
    ("/library/_stcore", "", "/library"), ("/library/static/js/index.js", "", "/library"),
    ("/app/static/x.png", "", None), ("/component/x/index.html", "", None),
    ("//x", "a=1", "/x?a=1"), ("//", "", "/"), ("///library", "", "/library"), ("/library//", "", "/library"),
])
def test_redirect_target(path, query, target):
    assert startup.redirect_target(path, query) == target


def test_on_script_error_logs_a_reference_and_shows_no_traceback(caplog):
    at_messages = []

    class FakeSt:
        @staticmethod
        def error(message, icon=None):
            at_messages.append(message)

    import sys
    real = sys.modules["streamlit"]
    sys.modules["streamlit"] = FakeSt
    try:
        with caplog.at_level(logging.ERROR, logger="chokepoint.ui.startup"):
            assert startup.on_script_error(RuntimeError("boom at /work/main/secret.py")) is True
    finally:
        sys.modules["streamlit"] = real
    ref = caplog.records[-1].args[0]
    assert caplog.records[-1].exc_info[1].args == ("boom at /work/main/secret.py",)
    assert at_messages == [startup.ERROR_MESSAGE.format(ref=ref)] and "secret" not in at_messages[0]


def test_a_connections_first_fragment_rerun_becomes_a_full_run_with_the_same_widget_values():
    """After a reconnect to a new session the browser's first slider move names the page's fragment, which the
    new session never ran (Streamlit skips it: the move, and every later one, changed nothing)."""
    import asyncio

    from streamlit.proto.BackMsg_pb2 import BackMsg

    from chokepoint.ui.startup import FullFirstRun, full_first_run

    move = BackMsg()
    move.rerun_script.fragment_id = "abc123"
    move.rerun_script.query_string = "export_controls=71"
    widget = move.rerun_script.widget_states.widgets.add()
    widget.id, widget.double_value = "$$ID-1-export_controls", 71
    data, asked = full_first_run(move.SerializeToString())
    sent = BackMsg.FromString(data)
    assert asked and sent.rerun_script.fragment_id == ""
    assert sent.rerun_script.query_string == "export_controls=71"
    assert sent.rerun_script.widget_states.widgets[0].double_value == 71
    full = BackMsg()
    full.rerun_script.query_string = "a=1"
    assert full_first_run(full.SerializeToString()) == (full.SerializeToString(), True)
    beat = BackMsg(app_heartbeat=True).SerializeToString()
    assert full_first_run(beat) == (beat, False)
    assert full_first_run(b"\xff\xfe not a message") == (b"\xff\xfe not a message", False)

    # Through the middleware: only the connection's first rerun request is changed.
    seen = []

    async def app(scope, receive, send):
        for _ in range(3):
            seen.append(BackMsg.FromString((await receive())["bytes"]))

    messages = [beat, move.SerializeToString(), move.SerializeToString()]

    async def receive():
        return {"type": "websocket.receive", "bytes": messages.pop(0)}

    # In a thread of its own: after the browser tests, this thread may already run an event loop (Playwright's).
    runner = threading.Thread(target=asyncio.run, args=(
        FullFirstRun(app)({"type": "websocket", "path": "/_stcore/stream"}, receive, None),))
    runner.start()
    runner.join(30)
    assert [m.WhichOneof("type") for m in seen] == ["app_heartbeat", "rerun_script", "rerun_script"]
    assert [m.rerun_script.fragment_id for m in seen[1:]] == ["", "abc123"]


def _get(app, path, headers=(), method="GET"):
    """One HTTP request through an ASGI app: (status, headers, body)."""
    sent = []

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "method": method, "path": path, "root_path": "", "query_string": b"",
             "headers": list(headers)}
    # In its own thread: after the browser tests this thread already has a running event loop (Playwright's).
    runner = threading.Thread(target=asyncio.run, args=(app(scope, receive, send),))
    runner.start()
    runner.join(30)
    start = next(m for m in sent if m["type"] == "http.response.start")
    return start["status"], dict(start["headers"]), b"".join(m.get("body", b"") for m in sent
                                                            if m["type"] == "http.response.body")


def test_streamlits_own_files_are_read_once_and_then_sent_from_memory_exactly_as_first_sent():
    """A new browser fetches ~130 of Streamlit's files: served from memory after the first time (server CPU per
    new visitor 330 -> 92 ms with the faster HTTP parser), byte for byte and header for header as Streamlit sent
    them; nothing else is kept: not a page, an error, a file sent without "immutable", a part
    of a file (range), a HEAD."""
    calls = []
    files = {"/static/js/index.abc.js": (200, b"public, immutable, max-age=31536000", b"console.log(1)" * 1000),
             "/static/js/missing.js": (404, b"no-cache", b"Not Found"),
             "/static/js/plain.js": (200, b"no-cache", b"x" * 10),
             "/": (200, b"no-cache", b"<html>")}

    async def streamlit(scope, receive, send):
        calls.append((scope["method"], scope["path"], dict(scope["headers"]).get(b"range")))
        status, cache, body = files[scope["path"]]
        await send({"type": "http.response.start", "status": status,
                    "headers": [(b"content-type", b"text/javascript"), (b"content-length", str(len(body)).encode()),
                                (b"cache-control", cache), (b"date", b"Tue, 01 Dec 2026 00:00:00 GMT")]})
        half = len(body) // 2  # in two parts, as a file response streams
        await send({"type": "http.response.body", "body": body[:half], "more_body": True})
        await send({"type": "http.response.body", "body": body[half:], "more_body": False})

    app = startup.StaticFromMemory(streamlit)
    first = _get(app, "/static/js/index.abc.js")
    again = [_get(app, "/static/js/index.abc.js") for _ in range(3)]
    assert calls == [("GET", "/static/js/index.abc.js", None)]  # read once
    assert first[0] == 200 and first[2] == files["/static/js/index.abc.js"][2]
    for status, headers, body in again:
        assert (status, body) == (200, first[2])
        assert headers == {k: v for k, v in first[1].items() if k != b"date"}
    for path in ("/static/js/missing.js", "/static/js/plain.js", "/"):
        _get(app, path), _get(app, path)
        assert [c[1] for c in calls].count(path) == 2, path  # asked of Streamlit every time
    _get(app, "/static/js/index.abc.js", headers=[(b"range", b"bytes=0-9")])
    _get(app, "/static/js/index.abc.js", method="HEAD")
    assert len([c for c in calls if c[1] == "/static/js/index.abc.js"]) == 3


def test_config_file_polling_is_stopped_at_start_even_when_the_watchers_are_frozen(tmp_path):
    """Streamlit polls its config files every 0.2 s for as long as the server runs (~3.3 ms of CPU a second,
    idle): the lifespan stops it. A watcher frozen with the imports (gc.freeze, as chokepoint/ui/shell.py does)
    is stopped too, and a change to the file is then not acted on."""
    import gc
    import time

    from streamlit.watcher.polling_path_watcher import PollingPathWatcher

    watched = tmp_path / "config.toml"
    watched.write_text("[server]\n")
    changes = []
    watcher = PollingPathWatcher(str(watched), changes.append)
    gc.freeze()
    try:
        assert startup.stop_config_polling() >= 1
        assert gc.get_freeze_count() > 0  # still frozen afterwards
    finally:
        gc.unfreeze()
    time.sleep(0.5)  # any poll already asleep runs once more, sees the watcher closed and stops
    watched.write_text("[server]\nport = 1\n")
    time.sleep(0.8)
    assert changes == [] and not watcher._active
