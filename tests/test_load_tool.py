"""`make load` (bench/load.py): three simulated visitors for ~10 s against a real server print every number, see no
error, and lose no move; and the tool refuses what it must not do (another machine, too many users, too long)."""
import json
import os
import re
import socket
import subprocess
import sys

import pytest

from bench import load
from tests.e2e.harness import ROOT, StreamlitServer

pytestmark = pytest.mark.slow


def test_three_users_for_ten_seconds_print_every_number_and_see_no_error(tmp_path):
    out = tmp_path / "load.json"
    with StreamlitServer(ROOT / "app.py", env={"CHOKEPOINT_STORE_DIR": str(tmp_path / "store")}) as server:
        result = subprocess.run(
            [sys.executable, "-m", "bench.load", "--users", "3", "--seconds", "10", "--url", server.url,
             "--json", str(out)],
            cwd=ROOT, capture_output=True, text=True, timeout=180)
        server_pid = server.process.pid
    assert result.returncode == 0, result.stdout + result.stderr
    text = result.stdout
    for pattern in (r"page open +3 of 3 opened, 0 failed; +latency p50 [\d.]+ ms +p95 [\d.]+ ms +max [\d.]+ ms",
                    r"move +\d+ sent, \d+ landed, \d+ superseded, 0 lost; +latency p50 [\d.]+ ms +p95 [\d.]+ ms +max",
                    r"errors +0 error boxes, 0 connections dropped",
                    r"server CPU +[\d.]+ ms per page open, [\d.]+ ms per move",
                    r"load tool +[\d.]+ s CPU",
                    r"machine +\d+ CPUs, load average [\d.]+ -> [\d.]+ while moving"):
        assert re.search(pattern, text), f"not printed: {pattern}\n{text}"
    numbers = json.loads(out.read_text())
    assert str(server_pid) in numbers["server_pids"]  # found by its port
    # 3 visitors moving every 2-3 s for 10 s: 3-5 moves each
    assert 9 <= numbers["moves_sent"] <= 16, numbers
    # The app draws the slider in the page's fragment; a browser's move reruns that fragment alone, so must the
    # tool's (a full rerun costs the server ~65 elements instead of ~29, and finishes with another status).
    assert numbers["fragment_moves"] == numbers["moves_sent"], numbers
    assert numbers["moves_lost"] == 0 and numbers["error_boxes"] == 0 and numbers["failed_opens"] == 0
    assert numbers["moves_landed"] + numbers["moves_superseded"] == numbers["moves_sent"]
    assert numbers["move_ms"]["n"] == numbers["moves_sent"] and numbers["move_ms"]["p95"] > 0
    assert numbers["server_cpu_ms_per_move"] > 0 and numbers["server_cpu_ms_per_open"] > 0


@pytest.mark.parametrize("argv, message", [
    (["--url", "http://10.1.2.3:8501"], "not a loopback address"),
    (["--url", "http://example.org:8501"], "not a loopback address"),
    (["--url", "http://192.168.0.5:8501"], "not a loopback address"),
    (["--url", "https://127.0.0.1:8501"], "only http://"),
    (["--users", "401"], "USERS must be between 1 and 400"),
    (["--users", "0"], "USERS must be between 1 and 400"),
    (["--seconds", "601"], "SECONDS must be more than 0 and at most 600"),
])
def test_refuses_other_machines_and_unbounded_runs(argv, message, capsys):
    args = {"--users": "3", "--seconds": "10", "--url": "http://127.0.0.1:9"}
    for flag, value in zip(argv[::2], argv[1::2]):
        args[flag] = value
    assert load.main([item for pair in args.items() for item in pair]) == 2
    assert message in capsys.readouterr().err


def test_loopback_addresses_are_accepted():
    assert load.check_target("http://127.0.0.1:8501") == ("127.0.0.1", 8501)
    assert load.check_target("http://127.9.9.9:80") == ("127.9.9.9", 80)
    assert load.check_target("http://localhost:8080/") == ("localhost", 8080)
    assert load.check_target("http://[::1]:8501") == ("::1", 8501)


def test_finds_the_server_process_by_its_listening_port():
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        assert os.getpid() in load.listening_pids(port)
        assert load.cpu_seconds([os.getpid()]) > 0
