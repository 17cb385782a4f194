"""Heavy work off the serving process: chart images (PNG, SVG) and briefing packs (PPTX, PDF) are made in a small
pool of worker processes, so that no export can stall other people's pages or take the server down with it.

Why processes: vl-convert and the pack builders hold the GIL for seconds at a time (every other session's rerun,
and the health endpoint, waited behind them), their memory stayed in the server after the build, and vl-convert
aborts the whole process on some inputs (a Rust panic is not an exception). In a worker, a crash kills that worker
only: its job is tried once more in a fresh worker, and fails with `WorkerCrashed` if that one crashes too.

A worker is a fresh interpreter, `python -m chokepoint.workers`, started with `subprocess`: never a fork of the
threaded server, and not multiprocessing's "spawn" or "forkserver" either, which start a child by re-running the
parent's __main__, and in a Streamlit server __main__ is the page script (Streamlit installs it there), so every
worker would have run the app. Jobs and results cross a socket as pickles: plain data only (Vega-Lite spec dicts,
stamp dataclasses, a pack's data), and a job names its function ("module:function" in `JOBS`), which the worker
imports; the worker imports nothing else of the app (never Streamlit).

The pool (`Pool`) is bounded: at most `max_workers` processes, at most `max_queued` jobs waiting (past that,
`submit` raises `PoolBusy`), a time limit per job (the worker is killed: `JobTimedOut`), and each worker is retired
after `max_jobs_per_worker` jobs or `idle_seconds` without work, so what a build allocates goes back to the system.
Workers run at a lower CPU priority (nice), so on a small machine the server's own runs come first. The app uses
one pool per process (`submit`, `run`, `shutdown`), started on the first job. No Streamlit here.
"""
from __future__ import annotations

import atexit
import faulthandler
import importlib
import logging
import os
import pickle
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
import traceback
from concurrent.futures import Future
from multiprocessing.connection import Connection
from pathlib import Path

LOG = logging.getLogger(__name__)
ROOT = Path(__file__).resolve().parent.parent

# Job name -> "module:function" run in a worker. Arguments and result must pickle.
JOBS = {
    "chart_png": "chokepoint.exports:chart_png",
    "chart_svg": "chokepoint.exports:chart_svg",
    "pack_file": "chokepoint.briefing:pack_file",
    "loaded_modules": "chokepoint.workers:loaded_modules",
}
PRELOAD = ("chokepoint.exports",)  # imported by a new worker before its first job (a pack job adds the rest)


def _setting(name: str, default: float) -> float:
    try:
        return float(os.environ.get(name, default))
    except ValueError:
        return default


class ExportError(Exception):
    """An export job that did not give its file, for a reason that is not the job's own error. `str()` is a
    sentence for the person who asked for the file."""


class WorkerCrashed(ExportError):
    """The worker process died while it ran the job (e.g. vl-convert aborted): the job is lost, the pool is not."""


class JobTimedOut(ExportError):
    """The job ran past the pool's time limit; its worker was killed."""


class PoolBusy(ExportError):
    """Too many jobs are already waiting."""


class PoolClosed(ExportError):
    """The pool has been shut down (the server is stopping)."""


class RemoteError(Exception):
    """An exception raised in a worker that could not be sent back as itself (it does not pickle)."""


def _signal_name(code: int | None) -> str:
    if code is None:
        return "still running"
    if code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exit status {code}"


class _NotDelivered(Exception):
    """The job could not be handed to the worker (it had died while idle): safe to try a fresh worker."""


class _Worker:
    """One worker process and the parent's end of its socket."""

    def __init__(self, nice: int, preload: tuple[str, ...], startup_timeout: float):
        parent, child = socket.socketpair()
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
        try:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "chokepoint.workers", str(child.fileno()), str(nice), ",".join(preload)],
                pass_fds=(child.fileno(),), stdin=subprocess.DEVNULL, env=env, cwd=str(ROOT),
                start_new_session=True)  # its own session: see _lower_priority
        except BaseException:
            parent.close()
            raise
        finally:
            child.close()
        self.conn = Connection(parent.detach())
        self.pid = self.process.pid
        self.jobs = 0
        try:
            if not self.conn.poll(startup_timeout):
                raise WorkerCrashed(f"an export worker did not start within {startup_timeout:g} s")
            self.conn.recv()  # ("ready", pid)
        except (EOFError, OSError):
            raise WorkerCrashed(f"an export worker could not start ({_signal_name(self.kill())})") from None
        except BaseException:
            self.kill()
            raise

    def call(self, target: str, args: tuple, kwargs: dict, timeout: float):
        """The job's result, or its exception raised here; WorkerCrashed or JobTimedOut when the worker is lost."""
        try:
            self.conn.send((target, args, kwargs))
        except (BrokenPipeError, ConnectionResetError, EOFError) as exc:
            raise _NotDelivered() from exc
        self.jobs += 1
        try:
            ready = self.conn.poll(timeout)  # waits in C, without the GIL
        except (EOFError, OSError):
            ready = True
        if not ready:
            self.kill()
            raise JobTimedOut(f"the export took longer than {timeout:g} s and was stopped")
        try:
            status, payload = self.conn.recv()
        except (EOFError, OSError):
            code = self.kill()
            raise WorkerCrashed(f"the export worker stopped unexpectedly while making the file ({_signal_name(code)})")
        if status == "ok":
            return payload
        raise payload

    def alive(self) -> bool:
        return self.process.poll() is None

    def close(self, grace: float = 5.0) -> None:
        """Ask the worker to exit; kill it if it does not within `grace` seconds."""
        try:
            self.conn.send(None)
        except OSError:
            pass
        try:
            self.process.wait(grace)
        except subprocess.TimeoutExpired:
            self.kill()
        self.conn.close()

    def kill(self) -> int | None:
        try:
            self.process.kill()
        except OSError:
            pass
        code = self.process.wait()
        try:
            self.conn.close()
        except OSError:
            pass
        return code


class Pool:
    """At most `max_workers` worker processes, started when jobs come; see the module's docstring."""

    def __init__(self, jobs: dict[str, str] | None = None, *, max_workers: int = 2, max_queued: int = 8,
                 timeout: float = 60.0, max_jobs_per_worker: int = 20, idle_seconds: float = 300.0,
                 nice: int = 10, preload: tuple[str, ...] = PRELOAD, startup_timeout: float = 120.0):
        self.jobs = dict(JOBS if jobs is None else jobs)
        self.max_workers = max(1, int(max_workers))
        self.max_queued = max(0, int(max_queued))
        self.timeout = float(timeout)
        self.max_jobs_per_worker = max(1, int(max_jobs_per_worker))
        self.idle_seconds = float(idle_seconds)
        self.nice = int(nice)
        self.preload = tuple(preload)
        self.startup_timeout = float(startup_timeout)
        self._queue: queue.Queue = queue.Queue()
        self._lock = threading.Lock()
        self._waiting = 0  # queued, not yet taken by a slot
        self._running = 0
        self._threads: list[threading.Thread] = []
        self._workers: dict[int, _Worker] = {}  # slot -> its live worker
        self._closed = False
        self.counts = {"done": 0, "failed": 0, "crashed": 0, "timed_out": 0, "busy": 0, "workers_started": 0}

    # --- the caller's side ---------------------------------------------------------------------------------

    def submit(self, name: str, /, *args, timeout: float | None = None, **kwargs) -> Future:
        """Queue job `name` with these arguments; the Future gives its result or raises its error (the job's own
        exception, or WorkerCrashed / JobTimedOut). `timeout`: this job's limit in seconds, if not the pool's.
        Raises PoolBusy at once when too many jobs are waiting."""
        target = self.jobs[name]  # KeyError: not a job of this pool
        future: Future = Future()
        with self._lock:
            if self._closed:
                raise PoolClosed("the export service is stopping; try again in a moment")
            if self._waiting + self._running >= self.max_workers + self.max_queued:
                self.counts["busy"] += 1  # (under the lock)
                raise PoolBusy(f"the server is already making {self._waiting + self._running} files; "
                               "try again in a minute")
            self._waiting += 1
            self._start_threads()
        self._queue.put((future, name, target, args, kwargs, self.timeout if timeout is None else float(timeout)))
        return future

    def run(self, name: str, /, *args, **kwargs):
        """Run job `name` in a worker and wait for its result (this thread waits without the GIL)."""
        return self.submit(name, *args, **kwargs).result()

    def worker_pids(self) -> list[int]:
        with self._lock:
            return sorted(w.pid for w in self._workers.values() if w.alive())

    def shutdown(self, wait: bool = True) -> None:
        """Stop taking jobs, fail the waiting ones, stop the workers (killing any job still running)."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            threads, workers = list(self._threads), list(self._workers.values())
        while True:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                break
            if item is not None:
                item[0].set_exception(PoolClosed("the export service stopped before making this file"))
        for _ in threads:
            self._queue.put(None)
        for worker in workers:
            worker.kill()
        if wait:
            for thread in threads:
                thread.join(10)

    # --- the pool's own threads: one per slot, each driving at most one worker ------------------------------

    def _start_threads(self) -> None:
        while len(self._threads) < self.max_workers:
            slot = len(self._threads)
            thread = threading.Thread(target=self._slot, args=(slot,), name=f"export-slot-{slot}", daemon=True)
            self._threads.append(thread)
            thread.start()

    def _slot(self, slot: int) -> None:
        worker: _Worker | None = None
        while True:
            try:
                item = self._queue.get(timeout=self.idle_seconds)
            except queue.Empty:
                if worker is not None:  # nothing to do for a while: give its memory back
                    worker = self._retire(slot, worker)
                continue
            if item is None:
                break
            future, name, target, args, kwargs, timeout = item
            with self._lock:
                self._waiting -= 1
                self._running += 1
            try:
                if future.set_running_or_notify_cancel():
                    worker = self._run_job(slot, worker, future, name, target, args, kwargs, timeout)
            finally:
                with self._lock:
                    self._running -= 1
            if worker is not None and worker.jobs >= self.max_jobs_per_worker:
                worker = self._retire(slot, worker)
        if worker is not None:
            self._retire(slot, worker)

    def _count(self, what: str) -> None:
        with self._lock:
            self.counts[what] += 1

    def _retire(self, slot: int, worker: _Worker) -> None:
        with self._lock:
            self._workers.pop(slot, None)
        worker.close()
        return None

    def _run_job(self, slot, worker, future, name, target, args, kwargs, timeout):
        for attempt in (1, 2):
            if worker is not None and not worker.alive():
                LOG.warning("export worker %s had died while idle (%s); starting another", worker.pid,
                            _signal_name(worker.kill()))
                worker = None
            if worker is None:
                try:
                    worker = _Worker(self.nice, self.preload, self.startup_timeout)
                except Exception as exc:
                    self._count("crashed")
                    future.set_exception(exc if isinstance(exc, ExportError)
                                         else WorkerCrashed(f"an export worker could not start ({exc})"))
                    return None
                with self._lock:
                    self.counts["workers_started"] += 1
                    if self._closed:
                        worker.kill()
                        future.set_exception(PoolClosed("the export service stopped before making this file"))
                        return None
                    self._workers[slot] = worker
            started = time.monotonic()
            try:
                result = worker.call(target, args, kwargs, timeout)
            except _NotDelivered:
                worker.kill()
                worker = None
                if attempt == 2:
                    self._count("crashed")
                    future.set_exception(WorkerCrashed("the export worker stopped before it could take the job"))
                continue
            except (WorkerCrashed, JobTimedOut) as exc:
                key = "timed_out" if isinstance(exc, JobTimedOut) else "crashed"
                self._count(key)
                again = key == "crashed" and attempt == 1 and not self._closed
                LOG.warning("export job %s in worker %s: %s (after %.1f s); %s", name, worker.pid, exc,
                            time.monotonic() - started,
                            "trying it once more in a new worker" if again else "the next job gets a new worker")
                with self._lock:
                    self._workers.pop(slot, None)
                worker = None
                if again:  # a crash seen once in CI runs (SIGABRT, no message): one retry, then the user is told
                    continue
                if self._closed:
                    exc = PoolClosed("the export service stopped before making this file")
                future.set_exception(exc)
                return None
            except BaseException as exc:  # the job's own error, or its arguments would not pickle
                self._count("failed")
                future.set_exception(exc)
                return worker
            self._count("done")
            future.set_result(result)
            return worker
        return worker


# --- the app's pool -----------------------------------------------------------------------------------------

_pool: Pool | None = None
_pool_lock = threading.Lock()


def pool() -> Pool:
    """The process's pool, made on first use; settings from CHOKEPOINT_EXPORT_WORKERS (2),
    CHOKEPOINT_EXPORT_TIMEOUT (seconds, 60), CHOKEPOINT_EXPORT_QUEUE (8), CHOKEPOINT_EXPORT_JOBS_PER_WORKER (20),
    CHOKEPOINT_EXPORT_IDLE (seconds, 300) and CHOKEPOINT_EXPORT_NICE (10)."""
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = Pool(max_workers=int(_setting("CHOKEPOINT_EXPORT_WORKERS", 2)),
                         timeout=_setting("CHOKEPOINT_EXPORT_TIMEOUT", 60),
                         max_queued=int(_setting("CHOKEPOINT_EXPORT_QUEUE", 8)),
                         max_jobs_per_worker=int(_setting("CHOKEPOINT_EXPORT_JOBS_PER_WORKER", 20)),
                         idle_seconds=_setting("CHOKEPOINT_EXPORT_IDLE", 300),
                         nice=int(_setting("CHOKEPOINT_EXPORT_NICE", 10)))
        return _pool


def submit(name: str, /, *args, timeout: float | None = None, **kwargs) -> Future:
    """Queue an export job in the app's pool (see Pool.submit)."""
    return pool().submit(name, *args, timeout=timeout, **kwargs)


def run(name: str, /, *args, **kwargs):
    """Run an export job in the app's pool and wait for its result."""
    return pool().run(name, *args, **kwargs)


def shutdown() -> None:
    """Stop the app's pool and its workers (also done when the process exits)."""
    global _pool
    with _pool_lock:
        current, _pool = _pool, None
    if current is not None:
        current.shutdown(wait=False)


atexit.register(shutdown)


# --- the worker process ---------------------------------------------------------------------------------------

def loaded_modules() -> list[str]:
    """The modules a worker has imported (a job: tests check that Streamlit is not among them)."""
    return sorted(sys.modules)


def _portable(exc: BaseException) -> BaseException:
    """`exc` with its traceback as a note, if it pickles; else a RemoteError that says what it was."""
    text = "".join(traceback.format_exception(exc))
    try:
        exc.add_note(f"In export worker {os.getpid()}:\n{text}")
        pickle.loads(pickle.dumps(exc))
        return exc
    except Exception:
        return RemoteError(f"{type(exc).__name__}: {exc}\nIn export worker {os.getpid()}:\n{text}")


def _resolve(target: str):
    module, _, function = target.partition(":")
    return getattr(importlib.import_module(module), function)


def _die_with_the_server() -> None:
    """Linux: be killed when the server goes, even mid-job (else a worker notices only when it next reads)."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _lower_priority(nice: int) -> None:
    """Give way to the server for CPU. The nice value orders this process against others of its scheduling
    group; with Linux's autogroups (on by default for desktop-like kernels, as here) CPU is shared between
    sessions first, so the worker runs in a session of its own (start_new_session) whose group gets the same
    nice value: a build then neither takes the server's turns nor counts against the server's group."""
    if not nice:
        return
    try:
        os.nice(nice)  # threads started later (vl-convert's) inherit it
    except OSError:
        pass
    try:
        with open("/proc/self/autogroup", "w") as group:
            group.write(str(nice))
    except OSError:  # no autogroups (not Linux, or turned off): the nice value alone does it
        pass


def _serve(fd: int, nice: int, preload: list[str]) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is for the server, which stops its workers
    faulthandler.enable()  # a native crash (SIGABRT, SIGSEGV) writes the job's Python stack to the server's log
    _die_with_the_server()
    if os.getppid() == 1:
        return  # the server went before we could ask to follow it
    _lower_priority(nice)
    conn = Connection(fd)
    for module in preload:
        importlib.import_module(module)
    conn.send(("ready", os.getpid()))
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):
            return  # the server has gone: so do we
        if message is None:
            return
        target, args, kwargs = message
        try:
            reply = ("ok", _resolve(target)(*args, **kwargs))
        except BaseException as exc:
            reply = ("error", _portable(exc))
        try:
            conn.send(reply)
        except (BrokenPipeError, ConnectionResetError):
            return
        except Exception as exc:  # the result would not pickle
            conn.send(("error", _portable(exc)))


if __name__ == "__main__":
    _serve(int(sys.argv[1]), int(sys.argv[2]), [m for m in sys.argv[3].split(",") if m])
