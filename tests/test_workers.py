"""The export worker pool (chokepoint/workers.py): a job that kills its worker, or runs too long, fails alone, with
an error that says so; the pool replaces the worker and the next job succeeds; the test process (standing in for
the server) is never touched. Real worker processes throughout, with stdlib functions as jobs."""
import os
import signal
import threading
import time

import pytest

from chokepoint import exports, workers

JOBS = {
    "abort": "os:abort",                 # what a Rust panic in vl-convert does: SIGABRT, no exception
    "sleep": "time:sleep",
    "pid": "os:getpid",
    "double": "operator:mul",
    "int": "builtins:int",
    "modules": "chokepoint.workers:loaded_modules",
    "chart_png": "chokepoint.exports:chart_png",
    "abort_once": "tests.worker_jobs:abort_the_first_time",
}


@pytest.fixture
def pool():
    pool = workers.Pool(JOBS, max_workers=2, max_queued=2, timeout=3, preload=(), nice=0)
    yield pool
    pool.shutdown()


def test_a_worker_that_aborts_fails_its_job_only_and_is_replaced(pool):
    first = pool.run("pid")
    with pytest.raises(workers.WorkerCrashed, match="stopped unexpectedly.*SIGABRT"):
        pool.submit("abort").result(timeout=30)
    assert pool.run("double", 6, 7) == 42  # the next job succeeds, in a new worker
    assert pool.counts["crashed"] == 2 and pool.counts["workers_started"] >= 3  # tried twice, then reported
    assert os.getpid() not in pool.worker_pids()
    # all the while this process (the server) was never signalled and goes on
    assert first != os.getpid()


def test_a_crash_that_a_second_try_does_not_repeat_still_gives_the_user_the_file(pool, tmp_path, caplog):
    """A worker crashed once in a CI run (SIGABRT, no message) and the user's pack download failed: a crash now gets
    one more try in a fresh worker before the user is told."""
    marker = tmp_path / "crashed-once"
    with caplog.at_level("WARNING", logger=workers.LOG.name):
        assert pool.submit("abort_once", str(marker)).result(timeout=30) == "made"
    assert marker.exists() and pool.counts["crashed"] == 1 and pool.counts["done"] == 1
    assert "trying it once more in a new worker" in caplog.text


def test_a_crash_does_not_fail_a_job_running_beside_it(pool):
    slow = pool.submit("sleep", 1.0)
    time.sleep(0.2)
    with pytest.raises(workers.WorkerCrashed):
        pool.submit("abort").result(timeout=30)
    assert slow.result(timeout=30) is None  # the other worker's job finished normally


def test_a_job_past_the_time_limit_is_reported_as_such_and_its_worker_killed():
    pool = workers.Pool(JOBS, max_workers=1, timeout=2, preload=(), nice=0)
    try:
        pid = pool.run("pid")
        started = time.monotonic()
        with pytest.raises(workers.JobTimedOut, match="longer than 2 s"):
            pool.submit("sleep", 30).result(timeout=30)
        assert 2 <= time.monotonic() - started < 10
        assert not _is_alive(pid)  # the worker that ran it was killed
        assert pool.run("double", 2, 3) == 6 and pool.run("pid") != pid
        assert pool.counts["timed_out"] == 1
    finally:
        pool.shutdown()


def _is_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_a_job_that_raises_keeps_its_exception_and_its_worker(pool):
    pid = pool.run("pid")
    with pytest.raises(ValueError, match="invalid literal") as raised:
        pool.run("int", "not a number")
    assert any("In export worker" in note for note in getattr(raised.value, "__notes__", []))
    assert pool.run("pid") in (pid, *pool.worker_pids())
    assert pool.counts["crashed"] == 0


def test_the_queue_is_bounded(pool):
    futures = [pool.submit("sleep", 0.5) for _ in range(4)]  # two run, two wait
    with pytest.raises(workers.PoolBusy, match="try again"):
        pool.submit("sleep", 0)
    for future in futures:
        assert future.result(timeout=30) is None


def test_workers_are_recycled_after_n_jobs():
    pool = workers.Pool(JOBS, max_workers=1, max_jobs_per_worker=2, preload=(), nice=0)
    try:
        pids = [pool.run("pid") for _ in range(5)]
        assert pids[0] == pids[1] != pids[2] == pids[3] != pids[4]
    finally:
        pool.shutdown()


def test_an_idle_worker_gives_its_memory_back():
    pool = workers.Pool(JOBS, max_workers=1, idle_seconds=0.5, preload=(), nice=0)
    try:
        pid = pool.run("pid")
        deadline = time.monotonic() + 10
        while _is_alive(pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not _is_alive(pid) and pool.worker_pids() == []
        assert pool.run("double", 1, 1) == 1
    finally:
        pool.shutdown()


def test_a_worker_killed_while_idle_is_replaced_without_failing_the_next_job(pool):
    pid = pool.run("pid")
    os.kill(pid, signal.SIGKILL)
    time.sleep(0.2)
    assert pool.run("double", 3, 3) == 9


def test_shutdown_stops_the_workers_and_refuses_new_jobs():
    pool = workers.Pool(JOBS, max_workers=1, preload=(), nice=0)
    pid = pool.run("pid")
    running = pool.submit("sleep", 30)
    time.sleep(0.3)
    pool.shutdown()
    with pytest.raises(workers.PoolClosed):
        running.result(timeout=15)
    assert not _is_alive(pid)
    with pytest.raises(workers.PoolClosed):
        pool.submit("pid")


def test_the_worker_renders_a_chart_without_importing_streamlit():
    pool = workers.Pool(JOBS, max_workers=1, timeout=120)  # the first render starts vl-convert: seconds
    stamp = exports.stamp("Title", "scenario", "d1", "sources", "http://host/")
    spec = {"data": {"values": [{"x": "a", "y": 1}]}, "mark": "bar",
            "encoding": {"x": {"field": "x", "type": "nominal"}, "y": {"field": "y", "type": "quantitative"}}}
    png = pool.run("chart_png", spec, stamp, scale=1)
    assert png.startswith(b"\x89PNG")
    loaded = pool.run("modules")
    assert "chokepoint.exports" in loaded and "vl_convert" in loaded
    pool.shutdown()
    assert not [m for m in loaded if m == "streamlit" or m.startswith(("streamlit.", "chokepoint.ui"))]


def test_many_threads_waiting_on_jobs_all_get_their_own_results(pool):
    results, errors = {}, []

    def ask(n):
        try:
            results[n] = pool.run("double", n, 2)
        except workers.PoolBusy:
            errors.append(n)

    threads = [threading.Thread(target=ask, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert all(results[n] == 2 * n for n in results) and len(results) + len(errors) == 4 and results


def test_a_pack_is_built_in_a_worker_from_plain_data():
    """What the app sends: a PackRequest read from its caches; the worker builds the pack and the file."""
    import io

    from pptx import Presentation

    from chokepoint import briefing
    from chokepoint.params import Scenario
    from chokepoint.ui import resources

    inputs = resources.model_inputs()
    step = briefing.Step("Hawks", Scenario.create(80, 70, inputs=inputs, name="Hawks"), "http://host/?x=1", "Notes")
    reference = Scenario.create(25, 90, inputs=inputs, name="As announced for 2026")
    request = briefing.pack_request("Worker pack", [step], reference, 2028, inputs, resources.results,
                                    resources.chart_spec, resources.table("sources"), left_out=["Step 2: gone."])
    pool = workers.Pool(max_workers=1, timeout=300)
    try:
        deck = Presentation(io.BytesIO(pool.run("pack_file", "pptx", request)))
        assert pool.run("pack_file", "pdf", request).startswith(b"%PDF-")
    finally:
        pool.shutdown()
    assert len(deck.slides) == 5
    body = " ".join(s.text_frame.text for s in deck.slides[1].shapes if s.has_text_frame)
    assert "Hawks" in body and "http://host/?x=1" in body and "How sure (1,000 draws): In " in body
    assert "Step 2: gone." in " ".join(s.text_frame.text for s in deck.slides[0].shapes if s.has_text_frame)


def test_the_pack_buttons_say_a_crash_and_a_retry_builds(monkeypatch):
    """The pack buttons' build (chokepoint/ui/exporting.py): the click's rerun shows it starting, the download's
    callable starts the job; a worker that crashes fails that download with WorkerCrashed and the page says so
    ("failed") until the next click, whose job succeeds."""
    from chokepoint.ui import exporting

    # a native crash with the job's two arguments: string_at(1, 1) reads address 1 (SIGSEGV)
    crashing = workers.Pool({"pack_file": "ctypes:string_at"}, max_workers=1, preload=(), nice=0)
    working = workers.Pool({"pack_file": "operator:add"}, max_workers=1, preload=(), nice=0)
    signature = ("deck", 1)
    try:
        monkeypatch.setattr(workers, "_pool", crashing)
        build = exporting._PackBuild()
        assert build.phase(signature) is None
        build.clicked(signature)
        assert build.phase(signature) == "starting"
        with pytest.raises(workers.WorkerCrashed, match="stopped unexpectedly.*SIGSEGV"):
            build.file(signature, 1, lambda: 1, 1)
        assert build.phase(signature) == "failed"
        assert "stopped unexpectedly" in exporting._problem(build.current.future.exception())
        assert build.phase(("another pack", 1)) is None  # a different pack's buttons are not told

        monkeypatch.setattr(workers, "_pool", working)
        time.sleep(exporting.SAME_CLICK_SECONDS + 0.1)
        build.clicked(signature)
        assert build.phase(signature) == "starting"  # the failed job is from before this click
        assert build.file(signature, "pptx", lambda: "-request", 1) == "pptx-request"
        assert build.phase(signature) is None
    finally:
        crashing.shutdown()
        working.shutdown()
