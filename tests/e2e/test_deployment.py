"""The deployment (deploy/serve.sh) in a real browser: PostgreSQL, two Streamlit replicas and HAProxy, all on
127.0.0.1. A scenario saved through the proxy pins the browser to one replica by cookie; the saved link opens on
the other replica; when the first replica is killed (SIGKILL) the browser reconnects through the proxy to the
other one and still shows the same scenario at the same address, and a lever moved there keeps its value; the
record is still listed; and with no replica left the proxy answers with the maintenance page."""
from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest

from .harness import LOG_DIR, ROOT, assert_page_healthy, free_port, screenshot, wait_for_app_idle
from .test_dashboard import move_export_controls, open_app, query, slider_value, wait_for_url

SERVE = ROOT / "deploy" / "serve.sh"
COOKIE = "CHOKEPOINT"
START_TIMEOUT_S = 240  # a first run creates the PostgreSQL cluster; two replicas start on a busy machine
NAME = "Room brief: proxy test"


def _port_free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _two_free_ports() -> int:
    """A port P such that P and P+1 are both free on 127.0.0.1 right now."""
    for _ in range(100):
        first = free_port()
        if first < 65000 and _port_free(first + 1):
            return first
    raise RuntimeError("no two consecutive free ports")


@dataclass
class Deployment:
    url: str
    state: Path
    database_url: str
    log: Path

    def replica_pid(self, name: str) -> int:
        return int((self.state / f"replica-{name.removeprefix('r')}.pid").read_text())


@pytest.fixture(scope="module")
def deployment():
    # Not under pytest's private tmp folder: PostgreSQL runs as the postgres user, which must reach the cluster.
    state = Path(tempfile.mkdtemp(prefix="chokepoint-serve-"))
    state.chmod(0o755)
    port, first = free_port(), _two_free_ports()
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    log_path = LOG_DIR / f"serve-{port}-{time.strftime('%H%M%S')}.log"
    log = open(log_path, "w")
    # --no-restart: the killed replica stays down, so the browser can only come back through the other one.
    process = subprocess.Popen(
        ["bash", str(SERVE), "--replicas", "2", "--port", str(port), "--first-replica-port", str(first),
         "--dir", str(state), "--no-restart"],
        cwd=ROOT, env={**os.environ, "CHOKEPOINT_PYTHON": sys.executable}, stdin=subprocess.DEVNULL,
        stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        env_file = state / "serve.env"
        while not env_file.exists():
            if process.poll() is not None:
                raise RuntimeError(f"deploy/serve.sh exited with {process.returncode}:\n{log_path.read_text()[-3000:]}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"deploy/serve.sh not ready in {START_TIMEOUT_S} s:\n{log_path.read_text()[-3000:]}")
            time.sleep(0.25)
        values = dict(line.split("=", 1) for line in env_file.read_text().splitlines() if "=" in line)
        yield Deployment(values["URL"], state, values["DATABASE_URL"], log_path)
    finally:
        # serve.sh stops HAProxy, the replicas and PostgreSQL on SIGTERM; anything it left is stopped here.
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        for pid_file in [*state.glob("replica-*.pid"), state / "haproxy.pid"]:
            try:
                os.killpg(int(pid_file.read_text()), signal.SIGKILL)
            except (OSError, ValueError):
                pass
        log.close()
        shutil.rmtree(state, ignore_errors=True)


def sticky_cookie(context) -> str | None:
    return next((c["value"] for c in context.cookies() if c["name"] == COOKIE), None)


def save_scenario(page, name: str) -> str:
    page.get_by_role("button", name="Save this scenario").click()
    page.get_by_label("Name", exact=True).fill(name)
    page.wait_for_timeout(300)
    page.get_by_role("button", name="Save", exact=True).click()
    wait_for_url(page, lambda q: "scenario" in q, timeout_ms=30000)
    wait_for_app_idle(page, timeout_ms=30000, quiet_ms=400)
    return parse_qs(urlparse(page.url).query)["scenario"][0]


def shows_saved_scenario(page, scenario_id: str) -> None:
    assert slider_value(page, "US export controls") == 70
    assert slider_value(page, "China self-reliance push") == 45
    assert parse_qs(urlparse(page.url).query).get("scenario") == [scenario_id]
    banners = page.locator('[data-testid="stAlertContentSuccess"]').all_inner_texts()
    assert any(NAME in text for text in banners), banners


def test_streamlits_own_files_come_from_the_proxys_cache_and_pages_still_pin_a_replica(deployment):
    """A new visitor fetches ~130 of Streamlit's files (~330 ms of a replica's CPU): through the proxy, a file
    another visitor fetched before comes from HAProxy's memory (its Age header; HAProxy adds it to what it serves
    from its cache), byte for byte, without the sticky cookie (a response that sets it is not cacheable); the
    page itself still pins the browser to a replica."""
    import re
    with urllib.request.urlopen(deployment.url + "/", timeout=30) as response:
        assert f"{COOKIE}=" in (response.headers.get("Set-Cookie") or "")
        index = response.read().decode()
    script = re.search(r'src="\./(static/js/[^"]+\.js)"', index).group(1)
    fetched = []
    for _ in range(2):
        with urllib.request.urlopen(f"{deployment.url}/{script}", timeout=30) as response:
            fetched.append((response.headers, response.read()))
    (first, body), (second, again) = fetched
    assert again == body and len(body) > 1000
    assert first.get("Set-Cookie") is None and second.get("Set-Cookie") is None
    assert "immutable" in first["Cache-Control"]
    assert second.get("Age") is not None, dict(second)


def test_saved_scenario_survives_the_loss_of_its_replica(browser, deployment):
    url = deployment.url
    first = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = first.new_page()
    open_app(page, f"{url}/?export_controls=70&self_reliance=45")
    scenario_id = save_scenario(page, NAME)
    link = page.locator('[data-testid="stCode"]').first.inner_text().strip()
    assert link == f"{url}/?scenario={scenario_id}"  # the proxy's address, not a replica's
    home = sticky_cookie(first)
    assert home in ("r1", "r2"), f"HAProxy set no sticky cookie: {first.cookies()}"
    other = "r2" if home == "r1" else "r1"

    # A colleague pinned to the other replica opens the link: the record comes from the shared PostgreSQL.
    second = browser.new_context(viewport={"width": 1400, "height": 1000})
    second.add_cookies([{"name": COOKIE, "value": other, "url": url}])
    colleague = second.new_page()
    open_app(colleague, link)
    shows_saved_scenario(colleague, scenario_id)
    assert sticky_cookie(second) == other  # HAProxy kept it there: it was served by the other replica
    assert_page_healthy(colleague)
    # A download is served from the memory of the replica that made it (/media/...): the cookie takes the
    # browser's request there. Its link is the proxy's address.
    with colleague.expect_download(timeout=60000) as download:
        colleague.locator('[data-testid="stDownloadButton"]').filter(has_text="All results (CSV)").first.click()
    table = Path(download.value.path()).read_text()
    assert f"{url}/?scenario={scenario_id}" in table, table[:500]

    # The first browser's replica dies. Streamlit's frontend reconnects by itself; HAProxy finds that replica
    # down and sends it to the other, with a new cookie.
    os.kill(deployment.replica_pid(home), signal.SIGKILL)
    deadline = time.monotonic() + 90
    while sticky_cookie(first) != other:
        assert time.monotonic() < deadline, f"the browser never moved to {other}: {first.cookies()}"
        page.wait_for_timeout(250)
    wait_for_app_idle(page, timeout_ms=90000, quiet_ms=500)
    shows_saved_scenario(page, scenario_id)
    assert urlparse(page.url).netloc == urlparse(url).netloc
    # Streamlit's frontend does not rerun an idle page after a reconnect: what is shown is still the dead
    # replica's last run. The user's next move is the surviving replica's first run of a new session, and it
    # arrives with the browser's widget values. The moved lever keeps its value (it used to jump back to the
    # saved one: the new session loaded the record over it), the view says it is modified from the saved
    # scenario, and a page change from the menu keeps the levers as moved.
    move_export_controls(page, 1, 71)
    page.wait_for_timeout(1000)  # a lever set back by the server would show by now
    wait_for_app_idle(page, timeout_ms=90000, quiet_ms=500)
    assert slider_value(page, "US export controls") == 71
    assert slider_value(page, "China self-reliance push") == 45
    assert "scenario" not in query(page)
    edited = page.locator('[data-testid="stAlertContentInfo"]').all_inner_texts()
    assert any("Modified from" in text and NAME in text for text in edited), edited
    page.locator('[data-testid="stSidebarNav"]').get_by_role("link", name="Revenue exposure").click()
    page.wait_for_function("() => location.pathname.endsWith('/revenue_exposure')", timeout=30000)
    wait_for_app_idle(page, timeout_ms=90000, quiet_ms=500)
    assert query(page).get("export_controls") == ["71"] and "scenario" not in query(page)
    assert slider_value(page, "US export controls") == 71
    assert slider_value(page, "China self-reliance push") == 45
    assert sticky_cookie(first) == other
    # A reload is the surviving replica's run from the address alone; the saved link opens there from the
    # shared store.
    page.reload()
    wait_for_app_idle(page, timeout_ms=90000, quiet_ms=500)
    assert slider_value(page, "US export controls") == 71 and "scenario" not in query(page)
    open_app(page, link)
    shows_saved_scenario(page, scenario_id)
    assert sticky_cookie(first) == other
    assert_page_healthy(page)
    screenshot(page, "deployment-after-failover")

    # Nothing saved is lost: the Library (on the surviving replica) still lists it.
    open_app(colleague, f"{url}/library")
    listed = colleague.locator('[data-testid="stMain"]').inner_text()
    assert NAME in listed and scenario_id in listed

    # No replica left: the proxy answers with its maintenance page, not an error.
    os.kill(deployment.replica_pid(other), signal.SIGKILL)
    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(f"{url}/", timeout=5) as response:
                status, body = response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            status, body = error.code, error.read().decode()
        if status == 503 or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert status == 503 and "Chokepoint is restarting" in body
    first.close()
    second.close()
