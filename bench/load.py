"""`make load USERS=N SECONDS=S [URL=http://127.0.0.1:8501]`: N simulated visitors against a running app.

    python -m bench.load --users N --seconds S [--url URL] [--pid PID ...] [--ramp R] [--json FILE]

Each visitor speaks Streamlit's own protocol, as the browser does (Streamlit 1.67's frontend, checked against
the server in streamlit/web/server/starlette/starlette_websocket.py): it fetches the page (GET /, then
/_stcore/health and /_stcore/host-config, keeping any cookie the server or a proxy sets, so a sticky-session
cookie pins it like a browser), opens the websocket GET /_stcore/stream (subprotocol "streamlit", the cookie,
an Origin header, permessage-deflate offered as browsers do) and sends a rerun_script BackMsg with no widget
state: that run drawing the landing page is the page open. It keeps the frontend's message cache (a ForwardMsg
Streamlit marks cacheable is kept by its hash; every rerun lists the cached hashes, so the server sends a
reference instead of the element again; entries unused for `max_cached_message_age` runs are dropped, as the
frontend does).

When every visitor has opened the page (or given up), each moves the slider with key "export_controls" every
2-3 s (uniformly drawn): a rerun_script BackMsg whose widget state holds that slider's new value (the widget
id comes from the slider's delta in the page-open run; the frontend's bound query parameter goes in the query
string) and, when the slider's delta came from a fragment (the app draws the levers in the page's fragment),
that fragment's id, as the frontend sends it: the move reruns the fragment alone. Moves are a random walk of 1-5 steps, never to a value among the visitor's last three. A visitor does
not wait for a slow rerun before its next move, as a person does not: a move sent while the previous one is
still running supersedes it (Streamlit stops that run).

A move LANDS when a run finishes successfully (ForwardMsg script_finished) showing its value: the sidebar
caption the app writes right under the slider starts with "**<value>**" (chokepoint/ui/controls.py
rung_caption). If the page has no such caption the latest move lands on any successful finish. Its latency
is from sending it to that finish; a superseded move's latency is from sending it to the finish that showed
the later position (what its visitor waited). A move is LOST when no finished run ever shows its position or a
later one within --move-timeout after the moves stop (a visitor's last move included).

Error boxes are deltas that draw an exception or an st.error (Alert format ERROR), counted in every run.

Server CPU is utime+stime from /proc/<pid>/stat of the server processes and of the processes they started
(the app's export workers; cutime+cstime for those already gone): the --pid ones, or the process that
listens on the URL's port (found through /proc/net/tcp and /proc/<pid>/fd). When that is HAProxy, the
processes listening on the ports its config (-f) names in `server` lines are added: replicas on this machine.
CPU per page open is the CPU used while the pages opened divided by the opens; per move, the CPU used while
the visitors moved divided by the moves sent. The load tool's own CPU is printed too: on a small machine it
competes with the server.

Loopback only: the URL's host must be localhost, 127.x.x.x or ::1. Bounded: at most 400 visitors and 600 s of
moves; every wait has a timeout and the tool stops by itself. Exit status 0, or 1 when something broke: an
error box, a page that did not open, a websocket closed by the server; lost moves are reported, not failed.
"""
from __future__ import annotations

import argparse
import asyncio
import ipaddress
import json
import os
import random
import re
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlparse

import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg  # imports streamlit (~1 s): once, before any clock starts
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

MAX_USERS = 400
MAX_SECONDS = 600
SLIDER_KEY = "export_controls"
CAPTION_VALUE = re.compile(r"^\*\*(-?\d+(?:\.\d+)?)\*\*")  # controls.rung_caption: "**61** — ..."


class Refused(ValueError):
    """An argument outside what the tool will do (not loopback, too many users, too long)."""


def check_target(url: str) -> tuple[str, int]:
    """(host, port) of an http URL on the loopback interface; anything else is refused."""
    parsed = urlparse(url)
    if parsed.scheme != "http":
        raise Refused(f"only http:// URLs on this machine are driven, not {url!r}")
    host = parsed.hostname or ""
    if host != "localhost":
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            raise Refused(f"{host!r} is not a loopback address: load is only sent to localhost, "
                          "127.0.0.0/8 or ::1") from None
        if not address.is_loopback:
            raise Refused(f"{host} is not a loopback address: load is only sent to localhost, 127.0.0.0/8 or ::1")
    return host, parsed.port or 80


def netloc(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def check_bounds(users: int, seconds: float) -> None:
    if not 1 <= users <= MAX_USERS:
        raise Refused(f"USERS must be between 1 and {MAX_USERS}, not {users}")
    if not 0 < seconds <= MAX_SECONDS:
        raise Refused(f"SECONDS must be more than 0 and at most {MAX_SECONDS}, not {seconds:g}")


# --- server processes and their CPU ------------------------------------------------------------------------


def _listening_inodes(port: int) -> set[str]:
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if len(fields) > 9 and fields[3] == "0A" and int(fields[1].rsplit(":", 1)[1], 16) == port:
                inodes.add(fields[9])
    return inodes


def listening_pids(port: int) -> set[int]:
    """Processes that hold a socket listening on `port` (any address)."""
    wanted = {f"socket:[{inode}]" for inode in _listening_inodes(port)}
    pids = set()
    if not wanted:
        return pids
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            for fd in os.scandir(f"/proc/{entry.name}/fd"):
                try:
                    if os.readlink(fd.path) in wanted:
                        pids.add(int(entry.name))
                        break
                except OSError:
                    continue
        except OSError:
            continue
    return pids


def process_name(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return "?"


def haproxy_backend_ports(pid: int) -> set[int]:
    """Ports on this machine that an HAProxy process's config sends traffic to (its `server` lines)."""
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        cwd = os.readlink(f"/proc/{pid}/cwd")
    except OSError:
        return set()
    args = [a.decode(errors="replace") for a in argv if a]
    ports = set()
    for i, arg in enumerate(args[:-1]):
        if arg == "-f":
            path = Path(args[i + 1]) if os.path.isabs(args[i + 1]) else Path(cwd) / args[i + 1]
            try:
                text = path.read_text()
            except OSError:
                continue
            for match in re.finditer(r"^\s*server\s+\S+\s+(?:127\.\d+\.\d+\.\d+|localhost|\[::1\]):(\d+)",
                                     text, re.MULTILINE):
                ports.add(int(match.group(1)))
    return ports


def server_pids(port: int, explicit: list[int]) -> dict[int, str]:
    """pid -> name of the processes whose CPU is the server's."""
    if explicit:
        return {pid: process_name(pid) for pid in explicit}
    pids = {pid: process_name(pid) for pid in listening_pids(port)}
    for pid, name in list(pids.items()):
        if name.startswith("haproxy"):
            for backend in sorted(haproxy_backend_ports(pid)):
                for replica in listening_pids(backend):
                    pids.setdefault(replica, f"{process_name(replica)}:{backend}")
    return pids


CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def _stat_fields(pid: int) -> list[str] | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[1].split()  # proc(5) fields from 3 (state) on


def cpu_by_process(pids) -> dict[int, float]:
    """CPU seconds used by each process and everything it started (the app's export workers): utime + stime
    of each, plus cutime + cstime, where a child that has exited and been waited for is counted. A process
    that is gone counts 0 from then on."""
    parents: dict[int, int] = {}
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            fields = _stat_fields(int(entry.name))
            if fields:
                parents[int(entry.name)] = int(fields[1])
    used = {}
    for root in pids:
        counted, frontier = set(), {root}
        while frontier:
            counted |= frontier
            frontier = {pid for pid, parent in parents.items() if parent in frontier and pid not in counted}
        ticks = 0
        for pid in counted:
            fields = _stat_fields(pid)
            if fields:
                ticks += sum(int(value) for value in fields[11:15])  # utime, stime, cutime, cstime
        used[root] = ticks / CLOCK_TICKS
    return used


def cpu_seconds(pids) -> float:
    return sum(cpu_by_process(pids).values())


def cpu_pressure_seconds() -> float | None:
    """Seconds during which some runnable task on this machine waited for a CPU (/proc/pressure/cpu, "some"
    total): how much other work competed with the server while it was measured. None without PSI."""
    try:
        for line in Path("/proc/pressure/cpu").read_text().splitlines():
            if line.startswith("some "):
                return int(line.rsplit("total=", 1)[1]) / 1e6
    except (OSError, ValueError, IndexError):
        pass
    return None


def load_average() -> float:
    try:
        return float(Path("/proc/loadavg").read_text().split()[0])
    except (OSError, ValueError):
        return float("nan")


def own_cpu_seconds() -> float:
    times = os.times()
    return times.user + times.system


# --- one visitor -------------------------------------------------------------------------------------------


@dataclass
class Move:
    value: float
    sent: float
    latency: float | None = None
    superseded: bool = False


@dataclass
class Stats:
    open_latencies: list[float] = field(default_factory=list)
    failed_opens: list[str] = field(default_factory=list)
    moves: list[Move] = field(default_factory=list)
    error_boxes: int = 0
    error_samples: list[str] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)
    cache_misses: int = 0
    fragment_moves: int = 0  # moves sent as a fragment rerun (the slider is drawn in a fragment)

    def error(self, text: str) -> None:
        self.error_boxes += 1
        text = " ".join(text.split())[:160]
        if text not in self.error_samples and len(self.error_samples) < 5:
            self.error_samples.append(text)


async def http_get(host: str, port: int, path: str, cookies: dict[str, str], timeout: float) -> int:
    """GET path (HTTP/1.1, Connection: close); keeps Set-Cookie values in `cookies`; returns the status."""
    async def get() -> int:
        reader, writer = await asyncio.open_connection(host, port)
        try:
            headers = [f"GET {path} HTTP/1.1", f"Host: {netloc(host, port)}", "User-Agent: chokepoint-load",
                       "Accept: */*", "Accept-Encoding: identity", "Connection: close"]
            if cookies:
                headers.append("Cookie: " + "; ".join(f"{k}={v}" for k, v in cookies.items()))
            writer.write(("\r\n".join(headers) + "\r\n\r\n").encode("latin-1"))
            await writer.drain()
            response = await reader.read()  # to EOF: the server closes after the response
        finally:
            writer.close()
        head = response.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")
        status = int(head[0].split()[1])
        for line in head[1:]:
            name, _, value = line.partition(":")
            if name.strip().lower() == "set-cookie":
                pair = value.strip().split(";", 1)[0]
                key, _, val = pair.partition("=")
                cookies[key.strip()] = val.strip()
        return status
    return await asyncio.wait_for(get(), timeout)


class Visitor:
    def __init__(self, index: int, args, host: str, port: int, stats: Stats, rng: random.Random):
        self.index = index
        self.args = args
        self.host, self.port = host, port
        self.stats = stats
        self.rng = rng
        self.cookies: dict[str, str] = {}
        self.ws = None
        # the frontend's message cache: hash -> [runs since last used, the message]
        self.cache: dict[str, list] = {}
        self.max_cache_age = 2
        self.query: dict[str, str] = {}
        self.slider_id: str | None = None
        self.slider_fragment = ""  # the fragment that draws the slider: a move reruns it alone, as in a browser
        self.page_hash = ""
        self.slider_path: tuple[int, ...] | None = None
        self.bounds = (0.0, 100.0, 1.0)
        self.value: float | None = None
        self.recent: list[float] = []
        self.run_value: float | None = None  # the value this run's caption shows
        self.run_has_caption = False
        self.pending: list[Move] = []
        self.opened = asyncio.Event()
        self.open_started = 0.0
        self.closed_by_server = False
        self.was_open = False
        self.close_reason = "closed"
        self.reader: asyncio.Task | None = None
        self.settled = asyncio.Event()  # no move pending

    # ForwardMsg handling
    def _on_message(self, data: bytes) -> None:
        msg = ForwardMsg()
        msg.ParseFromString(data)
        kind = msg.WhichOneof("type")
        if kind == "ref_hash":
            entry = self.cache.get(msg.ref_hash)
            if entry is None:
                self.stats.cache_misses += 1  # the browser would fetch it from the server; not needed here
                return
            entry[0] = 0
            cached = ForwardMsg()
            cached.CopyFrom(entry[1])
            cached.metadata.CopyFrom(msg.metadata)  # where this run puts it
            msg, kind = cached, cached.WhichOneof("type")
        elif msg.metadata.cacheable and msg.hash:
            self.cache[msg.hash] = [0, msg]
        if kind == "new_session":
            self.run_value, self.run_has_caption = None, False
            self.page_hash = msg.new_session.page_script_hash or self.page_hash
            age = msg.new_session.config.max_cached_message_age
            if age:
                self.max_cache_age = age
        elif kind == "delta":
            self._on_delta(msg)
        elif kind == "page_info_changed":
            self.query = dict(_parse_query(msg.page_info_changed.query_string))
        elif kind == "script_finished":
            self._on_finished(msg.script_finished)

    def _on_delta(self, msg) -> None:
        delta = msg.delta
        if delta.WhichOneof("type") != "new_element":
            return
        element = delta.new_element
        kind = element.WhichOneof("type")
        path = tuple(msg.metadata.delta_path)
        if kind == "exception":
            self.stats.error(f"exception: {element.exception.type}: {element.exception.message}")
        elif kind == "alert" and element.alert.format == 1:  # Alert.Format.ERROR
            self.stats.error(f"st.error: {element.alert.body}")
        elif kind == "slider" and (element.slider.id.endswith("-" + SLIDER_KEY)
                                   or element.slider.query_param_key == SLIDER_KEY):
            slider = element.slider
            self.slider_id, self.slider_path = slider.id, path
            self.slider_fragment = delta.fragment_id
            self.bounds = (slider.min, slider.max, slider.step or 1.0)
            if self.value is None:
                shown = list(slider.value) if slider.set_value else list(slider.default)
                self.value = shown[0] if shown else slider.min
        elif kind == "markdown" and self.slider_path and path[:-1] == self.slider_path[:-1] \
                and path[-1] == self.slider_path[-1] + 1:
            match = CAPTION_VALUE.match(element.markdown.body)
            if match:
                self.run_value, self.run_has_caption = float(match.group(1)), True

    def _on_finished(self, status: int) -> None:
        for key, entry in list(self.cache.items()):
            entry[0] += 1
            if entry[0] > self.max_cache_age:
                del self.cache[key]
        if status == 1:  # FINISHED_WITH_COMPILE_ERROR
            self.stats.error("the script did not compile")
            return
        if status not in (0, 3):  # 0: a run of the app, 3: of a fragment; 2: stopped early for a newer rerun
            return
        now = time.perf_counter()
        if not self.opened.is_set():
            self.stats.open_latencies.append(now - self.open_started)
            self.opened.set()
            return
        if not self.pending:
            return
        if self.run_has_caption:
            landed = [i for i, move in enumerate(self.pending) if move.value == self.run_value]
            if not landed:
                return  # an older run that was already on its way: not this position
            last = landed[-1]
        else:
            last = len(self.pending) - 1
        for i, move in enumerate(self.pending[:last + 1]):
            move.latency = now - move.sent
            move.superseded = i < last
        del self.pending[:last + 1]
        if not self.pending:
            self.settled.set()

    async def _read(self) -> None:
        try:
            async for data in self.ws:
                if isinstance(data, bytes):
                    self._on_message(data)
        except websockets.ConnectionClosed as closed:
            self.close_reason = f"{closed}"
        finally:
            self.closed_by_server = not self._closing
            self.opened.set()
            self.settled.set()

    def _rerun(self, widget_value: float | None = None) -> bytes:
        back = BackMsg()
        state = back.rerun_script
        state.query_string = urlencode(self.query)
        state.page_script_hash = self.page_hash
        state.cached_message_hashes.extend(self.cache)
        state.context_info.timezone = "UTC"
        state.context_info.locale = "en-US"
        state.context_info.url = f"http://{netloc(self.host, self.port)}/" + (f"?{state.query_string}" if self.query else "")
        if widget_value is not None:
            widget = state.widget_states.widgets.add()
            widget.id = self.slider_id
            widget.double_array_value.data.append(widget_value)
            state.fragment_id = self.slider_fragment  # "" when the slider is not in a fragment: a run of the app
            self.stats.fragment_moves += bool(state.fragment_id)
        return back.SerializeToString()

    _closing = False

    async def open(self) -> bool:
        self.open_started = time.perf_counter()
        base = f"http://{netloc(self.host, self.port)}"
        timeout = self.args.open_timeout
        try:
            status = await http_get(self.host, self.port, "/", self.cookies, timeout)
            if status != 200:
                raise RuntimeError(f"GET / answered {status}")
            for status in await asyncio.gather(
                    http_get(self.host, self.port, "/_stcore/health", self.cookies, timeout),
                    http_get(self.host, self.port, "/_stcore/host-config", self.cookies, timeout)):
                if status != 200:
                    raise RuntimeError(f"/_stcore answered {status}")
            headers = {"Origin": base}
            if self.cookies:
                headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
            self.ws = await websockets.connect(
                f"ws://{netloc(self.host, self.port)}/_stcore/stream", subprotocols=["streamlit"],
                additional_headers=headers, max_size=None, open_timeout=timeout, close_timeout=2,
                ping_interval=None,  # a browser sends no pings (the server pings it, and is answered)
                user_agent_header="chokepoint-load")
            self.reader = asyncio.create_task(self._read())
            await self.ws.send(self._rerun())
            remaining = timeout - (time.perf_counter() - self.open_started)
            await asyncio.wait_for(self.opened.wait(), max(remaining, 0.1))
            if self.closed_by_server:
                raise RuntimeError("the server closed the websocket")
            if self.slider_id is None:
                raise RuntimeError(f"the page has no slider with key {SLIDER_KEY!r}")
            self.was_open = True
            return True
        except (asyncio.TimeoutError, TimeoutError):
            self.stats.failed_opens.append(f"visitor {self.index}: not open within {timeout:g} s")
        except Exception as exc:  # noqa: BLE001 - every failure is a failed open, reported by kind
            self.stats.failed_opens.append(f"visitor {self.index}: {type(exc).__name__}: {exc}")
        return False

    def _next_value(self) -> float:
        low, high, step = self.bounds
        for _ in range(50):
            jump = self.rng.randint(1, 5) * step * self.rng.choice((-1, 1))
            value = self.value + jump
            if value < low or value > high:
                value = self.value - jump
            value = min(max(value, low), high)
            if value != self.value and value not in self.recent[-3:]:
                return value
        return low if self.value != low else high

    async def move_until(self, deadline: float) -> None:
        next_at = time.perf_counter() + self.rng.uniform(0, 2.5)  # visitors do not move in step
        while not self.closed_by_server:
            if next_at >= deadline:
                break
            await asyncio.sleep(max(0.0, next_at - time.perf_counter()))
            if self.closed_by_server:
                break
            value = self._next_value()
            self.value = value
            self.recent = (self.recent + [value])[-3:]
            self.query[SLIDER_KEY] = f"{value:g}"
            move = Move(value, time.perf_counter())
            self.pending.append(move)
            self.stats.moves.append(move)
            self.settled.clear()
            try:
                await self.ws.send(self._rerun(value))
            except Exception:  # noqa: BLE001 - the reader records the closed connection
                break
            next_at = move.sent + self.rng.uniform(2.0, 3.0)

    async def finish(self, grace: float) -> None:
        if self.pending and not self.closed_by_server:
            try:
                await asyncio.wait_for(self.settled.wait(), grace)
            except (asyncio.TimeoutError, TimeoutError):
                pass
        await self.close()

    async def close(self) -> None:
        self._closing = True
        if self.ws is not None:
            try:
                await asyncio.wait_for(self.ws.close(), 3)
            except Exception:  # noqa: BLE001
                pass
        if self.reader is not None:
            self.reader.cancel()
            try:
                await self.reader
            except BaseException:  # noqa: BLE001
                pass
        if self.closed_by_server and self.was_open:
            self.stats.dropped.append(f"visitor {self.index}: {self.close_reason}")


def _parse_query(query: str):
    return parse_qsl(query, keep_blank_values=True)


# --- the run -----------------------------------------------------------------------------------------------


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = q / 100 * (len(ordered) - 1)
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def summary_ms(values: list[float]) -> dict:
    ms = [v * 1000.0 for v in values]
    return {"n": len(ms), "p50": percentile(ms, 50), "p95": percentile(ms, 95), "max": max(ms) if ms else float("nan")}


async def run(args) -> dict:
    host, port = check_target(args.url)
    check_bounds(args.users, args.seconds)
    pids = server_pids(port, args.pid)
    rng = random.Random(args.seed)
    stats = Stats()
    visitors = [Visitor(i, args, host, port, stats, random.Random(rng.random())) for i in range(args.users)]
    ramp = args.ramp if args.ramp is not None else min(10.0, args.users / 20.0)

    async def open_one(visitor: Visitor) -> bool:
        await asyncio.sleep(ramp * visitor.index / max(1, args.users))
        return await visitor.open()

    by0 = cpu_by_process(pids)
    cpu0, own0, t0 = sum(by0.values()), own_cpu_seconds(), time.perf_counter()
    opened = await asyncio.gather(*(open_one(v) for v in visitors))
    by1 = cpu_by_process(pids)
    cpu1, own1, t1 = sum(by1.values()), own_cpu_seconds(), time.perf_counter()
    pressure1, load1 = cpu_pressure_seconds(), load_average()
    moving = [v for v, ok in zip(visitors, opened) if ok]
    for visitor, ok in zip(visitors, opened):
        if not ok:
            await visitor.close()
    deadline = time.perf_counter() + args.seconds
    await asyncio.gather(*(v.move_until(deadline) for v in moving))
    await asyncio.gather(*(v.finish(args.move_timeout) for v in moving))
    by2 = cpu_by_process(pids)
    cpu2, own2, t2 = sum(by2.values()), own_cpu_seconds(), time.perf_counter()
    pressure2, load2 = cpu_pressure_seconds(), load_average()

    moves = stats.moves
    landed = [m for m in moves if m.latency is not None]
    lost = [m for m in moves if m.latency is None]
    opens = len(stats.open_latencies)
    return {
        "url": args.url, "users": args.users, "seconds": args.seconds, "ramp": ramp,
        "server_pids": {str(pid): name for pid, name in sorted(pids.items())},
        "page_open_ms": summary_ms(stats.open_latencies),
        "opens": opens, "failed_opens": len(stats.failed_opens), "failed_open_samples": stats.failed_opens[:5],
        "open_phase_s": t1 - t0,
        "move_ms": summary_ms([m.latency for m in landed]),
        "moves_sent": len(moves), "fragment_moves": stats.fragment_moves,
        "moves_landed": len(landed) - sum(m.superseded for m in landed),
        "moves_superseded": sum(m.superseded for m in landed), "moves_lost": len(lost),
        "move_phase_s": t2 - t1,
        "error_boxes": stats.error_boxes, "error_samples": stats.error_samples,
        "connections_dropped": len(stats.dropped), "dropped_samples": stats.dropped[:5],
        "cache_misses": stats.cache_misses,
        "server_cpu_s": {"open_phase": cpu1 - cpu0, "move_phase": cpu2 - cpu1},
        "server_cpu_s_by_process": {f"{pid} {pids[pid]}": by2[pid] - by0[pid] for pid in sorted(pids)},
        "server_cpu_ms_per_open": (cpu1 - cpu0) * 1000.0 / opens if opens else None,
        "server_cpu_ms_per_move": (cpu2 - cpu1) * 1000.0 / len(moves) if moves else None,
        "server_cpu_cores_while_moving": (cpu2 - cpu1) / (t2 - t1) if t2 > t1 else None,
        "load_tool_cpu_s": {"open_phase": own1 - own0, "move_phase": own2 - own1},
        "machine_cpus": os.cpu_count(),
        "machine_load_average": {"moves_start": load1, "moves_end": load2},
        "machine_cpu_pressure_while_moving": ((pressure2 - pressure1) / (t2 - t1)
                                              if pressure1 is not None and pressure2 is not None and t2 > t1
                                              else None),
        "load_tool_cpu_cores_while_moving": (own2 - own1) / (t2 - t1) if t2 > t1 else None,
    }


def _fmt(value, unit=" ms") -> str:
    if value is None or value != value:  # None or NaN
        return "-"
    return f"{value:.0f}{unit}" if value >= 100 else f"{value:.1f}{unit}"


def _cores(value) -> str:
    return "-" if value is None else f"{value:.2f} cores"


def report(result: dict) -> str:
    pids = ", ".join(f"{pid} {name}" for pid, name in result["server_pids"].items()) or "none found"
    o, m, cpu = result["page_open_ms"], result["move_ms"], result["server_cpu_s"]
    lines = [
        f"load: {result['users']} users against {result['url']}, opens spread over {result['ramp']:g} s, "
        f"then {result['seconds']:g} s of moves (server processes: {pids})",
        f"page open   {result['opens']} of {result['users']} opened, {result['failed_opens']} failed;"
        f"  latency p50 {_fmt(o['p50'])}  p95 {_fmt(o['p95'])}  max {_fmt(o['max'])}",
        f"move        {result['moves_sent']} sent, {result['moves_landed']} landed, "
        f"{result['moves_superseded']} superseded, {result['moves_lost']} lost;"
        f"  latency p50 {_fmt(m['p50'])}  p95 {_fmt(m['p95'])}  max {_fmt(m['max'])}",
        f"errors      {result['error_boxes']} error boxes, {result['connections_dropped']} connections dropped"
        + (f"  ({'; '.join(result['error_samples'])})" if result["error_samples"] else ""),
        f"server CPU  {_fmt(result['server_cpu_ms_per_open'])} per page open, "
        f"{_fmt(result['server_cpu_ms_per_move'])} per move"
        f"  ({cpu['open_phase']:.1f} s opening, {cpu['move_phase']:.1f} s moving = "
        f"{_cores(result['server_cpu_cores_while_moving'])} busy while moving)",
        f"load tool   {result['load_tool_cpu_s']['open_phase'] + result['load_tool_cpu_s']['move_phase']:.1f} s CPU "
        f"({_cores(result['load_tool_cpu_cores_while_moving'])} while moving), on the same machine",
    ]
    if len(result["server_cpu_s_by_process"]) > 1:
        lines.insert(5, "            by process, whole run: " + ", ".join(
            f"{name} {seconds:.1f} s" for name, seconds in result["server_cpu_s_by_process"].items()))
    pressure = result["machine_cpu_pressure_while_moving"]
    lines.append(f"machine     {result['machine_cpus']} CPUs, load average {result['machine_load_average']['moves_start']:.1f}"
                 f" -> {result['machine_load_average']['moves_end']:.1f} while moving"
                 + (f"; some task waited for a CPU {pressure:.0%} of that time" if pressure is not None else ""))
    for sample in result["failed_open_samples"]:
        lines.append(f"  failed open: {sample}")
    for sample in result["dropped_samples"]:
        lines.append(f"  dropped: {sample}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, required=True, help=f"simulated visitors (1-{MAX_USERS})")
    parser.add_argument("--seconds", type=float, required=True, help=f"seconds of slider moves (at most {MAX_SECONDS})")
    parser.add_argument("--url", default="http://127.0.0.1:8501", help="the app, on this machine")
    parser.add_argument("--pid", type=int, action="append", default=[],
                        help="a server process whose CPU to count (repeatable); default: found by the URL's port")
    parser.add_argument("--ramp", type=float, default=None,
                        help="seconds over which the visitors arrive (default: users/20, at most 10)")
    parser.add_argument("--open-timeout", type=float, default=60.0, help="seconds a page open may take")
    parser.add_argument("--move-timeout", type=float, default=30.0,
                        help="seconds to wait after the moves stop for the last ones to land")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", type=Path, help="also write the numbers to this file")
    args = parser.parse_args(argv)
    if not 0 <= (args.ramp if args.ramp is not None else 0) <= 60:
        parser.error("--ramp must be between 0 and 60 s")
    if not 0 < args.open_timeout <= 120 or not 0 < args.move_timeout <= 120:
        parser.error("--open-timeout and --move-timeout must be more than 0 and at most 120 s")
    try:
        check_target(args.url)
        check_bounds(args.users, args.seconds)
    except Refused as refusal:
        print(f"load: refused: {refusal}", file=sys.stderr)
        return 2
    result = asyncio.run(run(args))
    print(report(result), flush=True)
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))
    broken = result["error_boxes"] or result["failed_opens"] or result["connections_dropped"]
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main())
