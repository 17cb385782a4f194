"""Server start: warm the process before the first visitor arrives.

`streamlit run app.py` finds the ``st.App`` in app.py and serves it; its lifespan (below) runs when the
server starts. It switches Streamlit out of its legacy pages/ mode at once (so the very first deep link
to a fresh replica gets the app's own navigation, with no extra rerun), then starts ``warm`` in a
background thread and returns, so the server answers while the thread imports the heavy modules, loads
and validates data/, runs the landing page's scenarios and builds its chart templates. That is ~0.8 s
the first visitor's script run no longer pays. Whatever the warm-up has not finished when a visitor
arrives is done by that visitor's run as before (imports wait on Python's import lock; caches fill on
a miss), and a failure here only logs: the run then reports it the usual way.

This module is imported when the server starts, before any script run: keep its imports light.
"""
from __future__ import annotations

import logging
import secrets
import threading
from contextlib import asynccontextmanager
from pathlib import Path
from urllib.parse import quote

LOGGER = logging.getLogger("chokepoint.ui.startup")
ROOT = Path(__file__).resolve().parents[2]


def warm() -> None:
    """Fill the process-wide caches the landing page reads (same keys as its default view)."""
    try:
        from chokepoint.params import preset_scenario
        from chokepoint.ui import controls, resources, shell  # noqa: F401  (heavy imports; freezes the GC)

        inputs = resources.model_inputs()
        scenario = resources.Scenario.create(inputs=inputs)
        reference = preset_scenario(controls.DEFAULT_REFERENCE, inputs)
        for kind in ("headline_shares", "risk_usd"):
            resources.chart_spec(kind, scenario.key(), reference.key(), controls.DEFAULT_YEAR, True)
    except Exception:  # never stop the server: the first script run shows the problem to the user
        LOGGER.exception("Warm-up at server start failed; the first visitor's run will do this work")


def use_app_navigation() -> None:
    """app.py navigates with st.navigation. Until some session has called it, Streamlit serves a fresh
    server's first request in its legacy pages/ mode (its own menu of file names); say so up front.
    (shell.page_context still checks, for a server started some other way.)"""
    from streamlit.runtime.pages_manager import PagesManager

    PagesManager.uses_pages_directory = False


def stop_config_polling() -> int:
    """Stop Streamlit's polling of its config files; returns how many watchers were stopped.

    Streamlit polls every config.toml it could read (the project's and ~/.streamlit's) every 0.2 s, whatever
    server.fileWatcherType says, on a thread pool: ~3.3 ms of server CPU every second per process with nothing
    else happening (5.7 -> 2.3 ms/s measured, one open page), which also landed on every slider move (~1.5 ms of
    the 13 ms measured per move). A served app's configuration does not change under it (its scripts are not
    watched either): changing it takes a restart. The watchers are found among live objects once, at start."""
    import gc

    try:
        from streamlit.watcher.polling_path_watcher import PollingPathWatcher
    except ImportError:  # Streamlit moved it: nothing to stop (tests/test_startup.py notices)
        return 0
    frozen = gc.get_freeze_count() > 0  # frozen objects (chokepoint/ui/shell.py freezes the imports) are not listed
    if frozen:
        gc.unfreeze()
    try:
        watchers = [obj for obj in gc.get_objects() if isinstance(obj, PollingPathWatcher)]
    finally:
        if frozen:
            gc.freeze()
    for watcher in watchers:
        watcher.close()
    return len(watchers)


class CoalescedWrites:
    """A websocket connection's transport whose writes made in one turn of the event loop go out as one.

    Streamlit sends every element of a run as its own websocket message, and uvicorn writes each to the socket at
    once (the socket has Nagle's algorithm off): ~20 writes a slider move, each a system call that also pushes the
    bytes through the network stack. Those writes were a third of the event loop's time on a slider move
    (py-spy). Here they are kept until the loop's current turn ends (`call_soon`) and written together: the same
    bytes in the same order, a fraction of a millisecond later. Closing writes what is kept first."""

    __slots__ = ("_transport", "_loop", "_kept", "_fresh")

    def __init__(self, transport, loop) -> None:
        self._transport = transport
        self._loop = loop
        self._kept: list[bytes] = []
        self._fresh = False

    def write(self, data) -> None:
        if not self._kept:
            self._loop.call_soon(self._turn_ended)
        self._kept.append(bytes(data))
        self._fresh = True

    def _turn_ended(self) -> None:
        if self._fresh:  # written to during the turn that just ended: wait for a turn with no write
            self._fresh = False
            self._loop.call_soon(self._turn_ended)
        else:
            self.flush()

    def flush(self) -> None:
        kept, self._kept = self._kept, []
        if kept and not self._transport.is_closing():
            self._transport.write(kept[0] if len(kept) == 1 else b"".join(kept))

    def close(self) -> None:
        self.flush()
        self._transport.close()

    def __getattr__(self, name):
        return getattr(self._transport, name)


def coalesce_websocket_writes() -> bool:
    """Give each new websocket connection a `CoalescedWrites` transport; False if uvicorn's websocket protocol is
    not where it was (tests/test_startup.py notices)."""
    import asyncio

    try:
        from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
    except ImportError:
        return False
    made = WebSocketsSansIOProtocol.connection_made
    if getattr(made, "_chokepoint_coalesced", False):
        return True

    def connection_made(self, transport) -> None:
        made(self, transport)
        self.transport = CoalescedWrites(self.transport, asyncio.get_running_loop())

    connection_made._chokepoint_coalesced = True
    WebSocketsSansIOProtocol.connection_made = connection_made
    return True


def reuse_theme_messages() -> bool:
    """Make each section of the theme message once per process; False if Streamlit moved the function.

    Streamlit sends a NewSession message at the start of every run, a slider move's fragment run included, and
    rebuilds it from the configuration each time: the six [theme] sections alone were ~0.5 ms of server CPU a
    slider move (py-spy). The theme comes from config.toml, which a running server does not re-read
    (`stop_config_polling`): the same bytes every time, so each section is built once and copied after that."""
    try:
        from streamlit.runtime import app_session
    except ImportError:
        return False
    build = getattr(app_session, "_populate_theme_msg", None)
    if build is None:
        return False
    if getattr(build, "_chokepoint_reused", False):
        return True
    made: dict[str, bytes] = {}
    lock = threading.Lock()

    def populate_theme_msg(msg, section: str = "theme") -> None:
        kept = made.get(section)
        if kept is None:
            fresh = type(msg)()
            build(fresh, section)
            kept = fresh.SerializeToString()
            with lock:
                made.setdefault(section, kept)
        msg.MergeFromString(kept)

    populate_theme_msg._chokepoint_reused = True
    app_session._populate_theme_msg = populate_theme_msg
    return True


@asynccontextmanager
async def lifespan(app):
    use_app_navigation()
    LOGGER.info("Stopped %d config-file polling watchers", stop_config_polling())
    if not coalesce_websocket_writes():
        LOGGER.warning("uvicorn's websocket protocol has moved: each message is written on its own")
    if not reuse_theme_messages():
        LOGGER.warning("Streamlit's theme message builder has moved: the theme is built on every run")
    threading.Thread(target=warm, name="chokepoint-warm-up", daemon=True).start()
    yield


# --- what a visitor must never see -------------------------------------------------------------------------

ERROR_MESSAGE = ("Something went wrong on this page, and it has been logged on the server (reference {ref}). "
                 "Reload the page, or open the Scenario page from the menu; saved scenarios are not affected.")


def on_script_error(exc: Exception) -> bool:
    """st.App's handler for an uncaught exception in a script run or a callback: log it with a reference, show
    the visitor a plain message with that reference, never a traceback with server paths (Streamlit has logged
    the traceback too; .streamlit/config.toml sets client.showErrorDetails = "none" as a second guard)."""
    ref = secrets.token_hex(4)
    LOGGER.error("Uncaught error in a script run, reference %s", ref, exc_info=exc)
    try:
        import streamlit as st
        st.error(ERROR_MESSAGE.format(ref=ref), icon=":material/error:")
    except Exception:  # showing the message must not fail the run again; the default redacted notice shows
        LOGGER.exception("Could not show the error message (reference %s)", ref)
        return False
    return True


# Streamlit serves index.html for any path, and its assets by relative address: at /library/x (or //library) the
# browser asks for /library/static/js/..., gets index.html again and shows a blank page (issue 14). Such paths are
# sent to their first segment (a page) with the query kept; Streamlit's own routes are left alone.
STREAMLIT_ROUTES = frozenset({"_stcore", "static", "media", "component", "app", "auth", "oauth2callback"})


def redirect_target(path: str, query: str = "") -> str | None:
    """Where a request for `path` should go instead, or None to serve it as it is."""
    parts = [part for part in path.split("/") if part]
    # Streamlit's own routes live at the root (/static/..., /_stcore/..., /media/...), and the frontend probes
    # <page>/_stcore/<endpoint> to find the app's base path: those keep their answer. Any other deeper path,
    # /china_market/static included, is a page address (served as is, its relative asset addresses would
    # resolve under it and load the page's HTML instead of its scripts: a blank page).
    if "//" not in path and parts and (parts[0] in STREAMLIT_ROUTES
                                       or (len(parts) >= 3 and parts[1] == "_stcore")):
        return None
    if len(parts) < 2 and "//" not in path:  # "//x" breaks the relative asset addresses as "/x/y" does
        return None
    return "/" + (quote(parts[0], safe="") if parts else "") + (f"?{query}" if query else "")


class PagePathRedirect:
    """ASGI middleware: GET or HEAD /<page>/<anything> -> 307 /<page>?<query> (see redirect_target)."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http" and scope.get("method") in ("GET", "HEAD"):
            root = scope.get("root_path", "")
            path = scope.get("path", "")
            target = redirect_target(path[len(root):] if root and path.startswith(root) else path,
                                     scope.get("query_string", b"").decode("latin-1"))
            if target is not None:
                from starlette.responses import RedirectResponse
                await RedirectResponse(root + target, status_code=307)(scope, receive, send)
                return
        await self.app(scope, receive, send)


def full_first_run(data: bytes) -> tuple[bytes, bool]:
    """(the BackMsg to pass on, whether it was a rerun request) for a websocket connection that has not asked
    for a run yet: a rerun request for one fragment becomes a rerun of the whole app; anything else is passed
    on unchanged. Bytes that are not a BackMsg are passed on for Streamlit to refuse."""
    from google.protobuf.message import DecodeError
    from streamlit.proto.BackMsg_pb2 import BackMsg

    message = BackMsg()
    try:
        message.ParseFromString(data)
    except DecodeError:
        return data, False
    if message.WhichOneof("type") != "rerun_script":
        return data, False
    if not message.rerun_script.fragment_id:
        return data, True
    message.rerun_script.fragment_id = ""
    return message.SerializeToString(), True


class FullFirstRun:
    """ASGI middleware: the first run a websocket connection asks for is a run of the whole app.

    A slider move reruns only the page's fragment (shell._page), and Streamlit skips a fragment rerun for a
    fragment its session has never run. A browser whose server went away (a replica killed, a restart) reconnects
    to a new session and, unless its last run was itself a fragment run, asks for nothing until the user acts; its
    first move then named a fragment the new session did not have, and every move after it was dropped too (the
    charts never changed) until something outside the fragment was used. Turning that first request into a full
    run (with the same widget values) builds the fragment; later requests pass through untouched."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "websocket" or not scope.get("path", "").endswith("/_stcore/stream"):
            await self.app(scope, receive, send)
            return
        asked = False

        async def first_run_full():
            nonlocal asked
            message = await receive()
            if not asked and message.get("type") == "websocket.receive" and message.get("bytes"):
                data, asked = full_first_run(message["bytes"])
                message = {**message, "bytes": data}
            return message

        await self.app(scope, first_run_full, send)


class StaticFromMemory:
    """ASGI middleware: Streamlit's own files (/static/...) from memory after the first time each is served.

    A new browser fetches ~60 of them (scripts, styles, fonts; ~5 MB): ~330 ms of server CPU per new visitor
    (measured in Chromium; the least Streamlit app costs 280 ms), which Streamlit spends reading each file again
    through its middleware stack. They are named by their content and sent as "public, immutable", so the first
    response for a path, as Streamlit gave it (its path checks included), is kept and sent again as is. Only a
    plain GET answered 200, uncompressed, immutable and without a cookie is kept; range and conditional
    requests, and anything else, go to Streamlit. At most MAX_BYTES are kept (Streamlit's files: 26 MB whole).
    Runs on the event loop only: no lock."""

    MAX_BYTES = 48 * 1024 * 1024
    _DROPPED = {b"date", b"server"}  # the server adds its own

    def __init__(self, app):
        self.app = app
        self.files: dict[tuple[str, bytes], tuple[list, bytes]] = {}
        self.kept = 0

    def _wanted(self, scope) -> bool:
        if scope["type"] != "http" or scope.get("method") != "GET":
            return False
        root, path = scope.get("root_path", ""), scope.get("path", "")
        if not path[len(root):].startswith("/static/"):
            return False
        return not any(name in (b"range", b"if-none-match", b"if-modified-since", b"if-range")
                       for name, _ in scope.get("headers", ()))

    async def __call__(self, scope, receive, send):
        if not self._wanted(scope):
            await self.app(scope, receive, send)
            return
        key = (scope["path"], scope.get("query_string", b""))
        hit = self.files.get(key)
        if hit is not None:
            headers, body = hit
            await send({"type": "http.response.start", "status": 200, "headers": headers})
            await send({"type": "http.response.body", "body": body})
            return
        start, chunks = {}, []

        async def keep(message):
            if message["type"] == "http.response.start":
                start.update(message)
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
            await send(message)

        await self.app(scope, receive, keep)
        headers = [(name.lower(), value) for name, value in start.get("headers", ())]
        names = {name for name, _ in headers}
        cache_control = b",".join(value for name, value in headers if name == b"cache-control").lower()
        body = b"".join(chunks)
        length = next((value for name, value in headers if name == b"content-length"), None)
        if (start.get("status") == 200 and length is not None and length == str(len(body)).encode() and b"immutable" in cache_control and b"set-cookie" not in names
                and b"content-encoding" not in names and self.kept + len(body) <= self.MAX_BYTES):
            self.files[key] = ([h for h in headers if h[0] not in self._DROPPED], body)
            self.kept += len(body)


def middleware() -> list:
    from starlette.middleware import Middleware
    return [Middleware(StaticFromMemory), Middleware(PagePathRedirect), Middleware(FullFirstRun)]
