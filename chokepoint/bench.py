"""`make bench`: speed numbers, printed (not asserted). Run: python -m chokepoint.bench [--only NAME]."""
from __future__ import annotations

import argparse
import statistics
import time

from chokepoint.data import build_database, data_dir_from_env
from chokepoint.engine import run_scenario
from chokepoint.params import Scenario, load_model_inputs


def _timed(fn, repeat: int) -> list[float]:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000.0)
    return samples


def _report(name: str, samples: list[float]) -> None:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]
    print(f"{name:<44} median {statistics.median(samples):8.2f} ms   p95 {p95:8.2f} ms   n={len(samples)}")


def bench_engine() -> None:
    load = _timed(lambda: build_database(data_dir_from_env()), 5)
    _report("load + validate data/ into DuckDB", load)
    inputs = load_model_inputs(build_database(data_dir_from_env()))
    scenarios = [Scenario.create(e, s, inputs=inputs) for e in (0, 37, 50, 80, 100) for s in (0, 45, 90)]
    run_scenario(scenarios[0], inputs)
    _report(f"engine: {len(scenarios)} scenarios", _timed(lambda: [run_scenario(s, inputs) for s in scenarios], 20))
    per = [t / len(scenarios) for t in _timed(lambda: [run_scenario(s, inputs) for s in scenarios], 20)]
    _report("engine: one scenario (4 runs for the at-risk split)", per)
    _report("engine + tidy table", _timed(lambda: run_scenario(scenarios[4], inputs).tidy(), 50))


BENCHES = {"engine": bench_engine}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--only", choices=sorted(BENCHES))
    args = parser.parse_args(argv)
    for name, bench in BENCHES.items():
        if args.only in (None, name):
            print(f"== {name}")
            bench()


if __name__ == "__main__":
    main()
