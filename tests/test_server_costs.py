"""What makes a slider move cheap for a shared server, and the proof that each saving sends the browser the same
thing as before: the websocket writes of one event-loop turn go out as one, the theme message is built once,
chart elements and the supply table are made once per scenario, the scenario results in use skip Streamlit's
cache lookup. Each check fails if the saving changes what a user gets (bytes, order, element, table)."""
import asyncio
import threading

import pandas as pd
import pytest
import streamlit as st
from apptests import assert_page_healthy, run_app
from streamlit.testing.v1 import AppTest

from chokepoint import views
from chokepoint.params import Scenario, preset_scenario
from chokepoint.ui import controls, resources, shell, startup


def _in_own_loop(coroutine_function, timeout: float = 20):
    """Run a coroutine on a thread of its own (after the browser tests the main thread has Playwright's loop)."""
    box = {}

    def run():
        try:
            box["value"] = asyncio.run(coroutine_function())
        except BaseException as exc:  # re-raised on the test's thread
            box["error"] = exc

    runner = threading.Thread(target=run)
    runner.start()
    runner.join(timeout)
    assert not runner.is_alive(), "the event loop did not finish"
    if "error" in box:
        raise box["error"]
    return box["value"]


class _Transport:
    def __init__(self):
        self.writes, self.closed = [], False

    def write(self, data):
        assert not self.closed, "written after close"
        self.writes.append(bytes(data))

    def is_closing(self):
        return self.closed

    def close(self):
        self.closed = True

    def get_extra_info(self, name, default=None):
        return ("127.0.0.1", 8501) if name in ("peername", "sockname") else default


def test_websocket_writes_made_while_the_loop_is_busy_go_out_as_one_write_in_order():
    """Streamlit's runtime hands the websocket one message per loop turn (it yields between messages); uvicorn
    wrote each to the socket at once. The writes of a burst reach the socket as one write, same bytes, same
    order; a later burst is a write of its own; closing writes what is kept first; a closing transport gets
    nothing."""

    async def scenario():
        loop = asyncio.get_running_loop()
        transport = _Transport()
        coalesced = startup.CoalescedWrites(transport, loop)
        for part in (b"one", b"two", b"three"):  # as Runtime._loop_coroutine: a message, then sleep(0)
            coalesced.write(part)
            await asyncio.sleep(0)
        assert transport.writes == [], "written before the burst ended"
        for _ in range(3):
            await asyncio.sleep(0)
        first = list(transport.writes)
        coalesced.write(b"four")
        await asyncio.sleep(0.01)
        coalesced.write(b"five")
        coalesced.close()
        after_close = list(transport.writes)
        coalesced.write(b"six")  # uvicorn may still write as the connection goes
        await asyncio.sleep(0.01)
        assert coalesced.get_extra_info("peername") == ("127.0.0.1", 8501)  # the rest is the transport's own
        return first, after_close, transport.writes

    first, after_close, final = _in_own_loop(scenario)
    assert first == [b"onetwothree"]
    assert after_close == [b"onetwothree", b"four", b"five"]
    assert final == after_close


def test_a_real_websocket_through_uvicorn_gets_every_message_whole_and_in_order():
    """The patch is on uvicorn's websocket protocol (what `streamlit run` serves with): through a real socket, 300
    messages sent as fast as the app can (many in one loop turn) arrive whole and in order."""
    import uvicorn
    import websockets

    assert startup.coalesce_websocket_writes(), "uvicorn's websocket protocol moved: writes are not coalesced"
    from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
    assert getattr(WebSocketsSansIOProtocol.connection_made, "_chokepoint_coalesced", False)
    messages = [f"message {i} ".encode() * (1 + i % 7) for i in range(300)]

    async def app(scope, receive, send):
        assert scope["type"] == "websocket"
        await receive()
        await send({"type": "websocket.accept"})
        for message in messages:
            await send({"type": "websocket.send", "bytes": message})
        await receive()

    async def scenario():
        server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, ws="websockets-sansio",
                                               lifespan="off", log_level="warning"))
        serving = asyncio.create_task(server.serve())
        while not server.started:
            await asyncio.sleep(0.01)
        port = server.servers[0].sockets[0].getsockname()[1]
        async with websockets.connect(f"ws://127.0.0.1:{port}/") as client:
            got = [await client.recv() for _ in messages]
        server.should_exit = True
        await serving
        return got

    assert _in_own_loop(scenario, timeout=30) == messages


def test_the_theme_message_is_built_once_and_is_the_same_bytes(monkeypatch):
    """Every run sends the theme in its NewSession message; it is built once per section and then copied:
    same bytes as Streamlit builds, for every section it sends."""
    from streamlit.proto.NewSession_pb2 import CustomThemeConfig
    from streamlit.runtime import app_session

    original = app_session._populate_theme_msg
    monkeypatch.setattr(app_session, "_populate_theme_msg", original)  # put back after the test
    built = []

    def counting(msg, section="theme"):
        built.append(section)
        original(msg, section)

    monkeypatch.setattr(app_session, "_populate_theme_msg", counting)
    assert startup.reuse_theme_messages()
    reused = app_session._populate_theme_msg
    sections = ["theme", "theme.light", "theme.dark", "theme.sidebar", "theme.light.sidebar", "theme.dark.sidebar"]
    for _ in range(3):
        for section in sections:
            expected, got = CustomThemeConfig(), CustomThemeConfig()
            original(expected, section)
            reused(got, section)
            assert got.SerializeToString() == expected.SerializeToString(), section
    assert sorted(built) == sorted(sections)  # each built once
    light = CustomThemeConfig()
    reused(light, "theme.light")
    assert light.text_color == "#121110"  # the project's checked palette (config.toml) is what it copies


CHART_KINDS = ["headline_shares", "risk_usd", "risk_pct", "risk_over_time", "shares_value", "shares_units", "units",
               "supply"]


def _sent_charts(script: str, monkeypatch) -> list:
    import streamlit.delta_generator as delta_generator

    sent = []
    enqueue = delta_generator._enqueue_message

    def record(msg):
        if msg.delta.new_element.WhichOneof("type") == "vega_lite_chart":
            sent.append(msg.delta.new_element.SerializeToString())
        enqueue(msg)

    monkeypatch.setattr(delta_generator, "_enqueue_message", record)
    at = AppTest.from_string(script, default_timeout=120).run()
    assert not at.exception, at.exception
    return sent


@pytest.mark.parametrize("bands", [True, False])
def test_a_chart_element_made_once_is_the_element_st_vega_lite_chart_sends(monkeypatch, bands):
    """The pages draw each chart from an element made once per scenario (resources.chart_element) instead of
    st.vega_lite_chart, which re-encodes the spec on every call. For every chart a slider move redraws, with and
    without bands, the element sent is byte for byte what st.vega_lite_chart sends (its size, alt text, theme,
    spec and Arrow data included)."""
    script = f"""
import streamlit as st
from chokepoint.params import Scenario, preset_scenario
from chokepoint.ui import controls, resources, shell
inputs = resources.model_inputs()
key = Scenario.create(40, 70, inputs=inputs).key()
reference = preset_scenario(controls.DEFAULT_REFERENCE, inputs).key()
for kind in {CHART_KINDS!r}:
    alt = shell.chart_alt(kind, 2029)
    st.vega_lite_chart(resources.chart_on_screen(kind, key, reference, 2029, {bands}), width="stretch", alt=alt)
    element = resources.chart_element(kind, key, reference, 2029, {bands}, alt)
    assert element is not None and shell.draw_chart_element(element)
"""
    sent = _sent_charts(script, monkeypatch)
    assert len(sent) == 2 * len(CHART_KINDS)
    for kind, streamlits, ours in zip(CHART_KINDS, sent[0::2], sent[1::2]):
        assert ours == streamlits, kind


def test_chart_elements_and_results_are_made_once_and_follow_new_model_inputs():
    """What a move draws is kept per process; clearing Streamlit's caches (new data) makes it again."""
    inputs = resources.model_inputs()
    key = Scenario.create(55, 35, inputs=inputs).key()
    reference = preset_scenario(controls.DEFAULT_REFERENCE, inputs).key()
    alt = shell.chart_alt("risk_usd", 2030)
    results = resources.results(key)
    element = resources.chart_element("risk_usd", key, reference, 2030, False, alt)
    assert resources.results(key) is results
    assert resources.chart_element("risk_usd", key, reference, 2030, False, alt) is element
    st.cache_resource.clear()
    assert resources.results(key) is not results
    assert resources.chart_element("risk_usd", key, reference, 2030, False, alt) is not element


def test_the_domestic_supply_table_follows_the_levers_and_is_the_supply_table(isolated_store):
    """The page sends its table as Arrow, made once per scenario: what it shows after a slider move is that
    scenario's supply table, value for value."""
    at = run_app("pages/domestic_supply.py")
    at.slider(key="export_controls").set_value(80).run()
    assert_page_healthy(at)
    inputs = resources.model_inputs()
    scenario = Scenario.create(80, int(at.slider(key="self_reliance").value), inputs=inputs)
    expected = views.supply_table(resources.results(scenario.key()))
    shown = at.dataframe[0].value
    pd.testing.assert_frame_equal(shown.reset_index(drop=True), expected.reset_index(drop=True),
                                  check_dtype=False)
    default = views.supply_table(resources.results(Scenario.create(inputs=inputs).key()))
    assert not shown.reset_index(drop=True).equals(default.reset_index(drop=True))  # it did follow the move


def test_the_slider_captions_name_the_rung_of_the_value_shown(isolated_store):
    """The captions under the sliders are kept per value: after moves they still name the value on screen."""
    at = run_app()
    for ec, sr in ((0, 100), (100, 0), (25, 90)):
        at.slider(key="export_controls").set_value(ec)
        at.slider(key="self_reliance").set_value(sr).run()
        captions = [c.value for c in at.sidebar.caption]
        inputs = resources.model_inputs()
        assert controls.rung_caption(ec, inputs) in captions
        assert f"**{sr}** — {inputs.anchor_label('self_reliance', sr)}" in captions
