"""Command line: `python -m chokepoint run|params|validate|check|drivers|seek`."""
from __future__ import annotations

import argparse
import json
import math
import sys

from chokepoint.data import DataError, get_database, run_query
from chokepoint.engine import load_model_inputs, run_scenario
from chokepoint.formatting import YEARS
from chokepoint.params import ScenarioError, preset_scenario, scenario_from_settings
from chokepoint.uncertainty import MAX_DRAWS, QUANTILE_COLUMNS, SEEK_LEVERS, band_table, drivers, run_draws, seek
from chokepoint.uncertainty import calibration as calibration_targets_of  # `calibration` names a table below
from chokepoint.validation import validation_table


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, exit 2
        self.exit(2, f"chokepoint: error: {message}\n")


def _settings(pairs: list[str]) -> dict[str, str]:
    settings = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise ScenarioError(f"--set expects NAME=VALUE, got {pair!r}")
        settings[name.strip()] = value.strip()
    return settings


def _bounded_int(name: str, low: int, high: int):
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be a whole number between {low} and {high}, "
                                             f"got {text[:40]!r}") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"must be between {low} and {high}, got {value}")
        return value
    parse.__name__ = name
    return parse


def _finite_float(name: str, positive: bool = False):
    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be a number, got {text[:40]!r}") from None
        if not math.isfinite(value) or (positive and value <= 0):
            raise argparse.ArgumentTypeError(f"must be a finite{' positive' if positive else ''} number, "
                                             f"got {text[:40]!r}")
        return value
    parse.__name__ = name
    return parse


def _scenario_options(command) -> None:
    command.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                         help="a lever or parameter, e.g. export_controls=80 (repeatable)")
    command.add_argument("--preset", help="start from a named preset")


def _metric_options(command) -> None:
    command.add_argument("--metric", required=True, help="a metric of the tidy table, e.g. china_share_value")
    command.add_argument("--entity", required=True, help="e.g. Nvidia, Domestic (all), All")
    command.add_argument("--year", required=True, type=_bounded_int("--year", YEARS[0], YEARS[-1]))


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m chokepoint", description="Chokepoint scenario engine.")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    run = commands.add_parser("run", help="run a scenario and print a tidy table")
    _scenario_options(run)
    run.add_argument("--format", choices=("csv", "json"), default="csv")
    run.add_argument("--out", help="write to this file instead of standard output")
    run.add_argument("--draws", type=_bounded_int("--draws", 1, MAX_DRAWS),
                     help="add Monte Carlo bands p5,p25,p50,p75,p95 from this many parameter draws, weighted by "
                          "how well they reproduce the calibration targets (stderr says how many are effective)")
    run.add_argument("--seed", type=_bounded_int("--seed", 0, 2 ** 63 - 1),
                     help="random seed for --draws (default: derived from the scenario's settings)")
    run.add_argument("--widen", type=_finite_float("--widen", positive=True), default=1.0,
                     help="scale every parameter range about its default for --draws (default 1)")
    run.add_argument("--unconditioned", action="store_true",
                     help="weight every draw equally instead of by how well it reproduces the calibration targets")
    drivers = commands.add_parser("drivers", help="which parameters move one output most (low/high runs)")
    _scenario_options(drivers)
    _metric_options(drivers)
    drivers.add_argument("--top", type=_bounded_int("--top", 1, 1000), default=12)
    drivers.add_argument("--format", choices=("table", "csv"), default="table")
    seek = commands.add_parser("seek", help="the lever value at which an output crosses a target")
    _scenario_options(seek)
    seek.add_argument("--lever", required=True, choices=SEEK_LEVERS)
    _metric_options(seek)
    seek.add_argument("--target", required=True, type=_finite_float("--target"))
    seek.add_argument("--keep", required=True, choices=("above", "below"))
    commands.add_parser("params", help="list every parameter with default, range, unit and basis")
    validate = commands.add_parser("validate", help="print the validation table")
    validate.add_argument("--format", choices=("table", "csv"), default="table")
    validate.add_argument("--backtest", action="store_true",
                          help="the track record: fit with data through Y-1, replay Y, score Y's targets")
    commands.add_parser("check", help="plausibility properties over the whole lever square; exit 1 if one fails")
    return parser


def _scenario(args, inputs):
    settings = _settings(args.set)
    if args.preset:
        base = preset_scenario(args.preset, inputs)
        settings = {**base.settings(), **settings}
    return scenario_from_settings(settings, inputs, name=args.preset or "")


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        database = get_database()
        inputs = load_model_inputs(database)
        if args.command == "run":
            scenario = _scenario(args, inputs)
            table = run_scenario(scenario, inputs).tidy()
            if args.draws is not None:
                draws = run_draws(scenario, inputs, args.draws, args.seed, args.widen,
                                  condition=not args.unconditioned, targets=calibration_targets_of(database))
                bands = band_table(draws, table)
                for column in QUANTILE_COLUMNS:
                    table[column] = bands[column].to_numpy()
                sys.stderr.write(draws.conditioning_sentence() + "\n")
            if args.format == "csv":
                output = table.to_csv(index=False, float_format="%.6g")
            else:
                output = json.dumps(table.to_dict(orient="records"), indent=1, allow_nan=False,
                                    default=float) if not table.isna().any().any() else \
                    table.to_json(orient="records", indent=1)
            if args.out:
                with open(args.out, "w", encoding="utf-8") as handle:
                    handle.write(output)
            else:
                sys.stdout.write(output)
        elif args.command == "drivers":
            scenario = _scenario(args, inputs)
            draws = run_draws(scenario, inputs, 1000, targets=calibration_targets_of(database))
            frame = drivers(scenario, inputs, args.metric, args.entity, args.year, args.top, draw_result=draws)
            if args.format == "csv":
                sys.stdout.write(frame.to_csv(index=False, float_format="%.6g"))
            else:
                cols = ["parameter", "basis", "low", "high", "output_low", "output_high", "swing", "range_low",
                        "range_high"]
                sys.stdout.write(frame[cols].to_string(index=False, float_format=lambda v: f"{v:,.4g}") + "\n")
            sys.stderr.write(f"low and high are each parameter's P5 and P95 in {draws.draws:,} draws conditioned on "
                             f"the {draws.targets} calibration targets ({draws.effective:,.0f} effective); "
                             "range_low and range_high are its documented range\n")
        elif args.command == "seek":
            scenario = _scenario(args, inputs)
            result = seek(scenario, inputs, args.lever, args.metric, args.entity, args.year, args.target, args.keep,
                          draw_result=run_draws(scenario, inputs, 1000, targets=calibration_targets_of(database)))
            value = "none" if result.value is None else f"{result.value:g}"
            achieved = "none" if result.achieved is None else f"{result.achieved:.6g}"
            band = "none" if result.low is None else f"{result.low:g} {result.high:g}"
            sys.stdout.write(f"value: {value}\nachieved: {achieved}\nband: {band}\n{result.message}\n")
        elif args.command == "params":
            frame = run_query("model_parameters", database)
            frame["basis"] = [b if b == "judgment" else f"{b}: {s}" for b, s in
                              zip(frame["basis"], frame["source_ids"].fillna(""))]
            cols = ["name", "default", "low", "high", "unit", "basis"]
            sys.stdout.write(frame[cols].to_string(index=False) + "\n")
        elif args.command == "validate":
            if args.backtest:
                from chokepoint.validation import backtest, backtest_scores

                card = backtest(inputs, database)
                card["result"] = card["inside"].map({True: "inside", False: "outside"})
                cols = ["year", "fitted_through", "target", "kind", "published_value", "low", "high", "model_value",
                        "error", "result"]
                if args.format == "csv":
                    sys.stdout.write(card[cols + ["reverted", "source_ids"]].to_csv(index=False, float_format="%.6g"))
                    return 0
                sys.stdout.write(card[cols].to_string(index=False, float_format=lambda v: f"{v:,.3g}") + "\n\n")
                for row in backtest_scores(card).itertuples(index=False):
                    sys.stdout.write(f"{row.year} (fitted with data through {row.fitted_through}): {row.inside} of "
                                     f"{row.targets} targets inside their band, median |error| "
                                     f"{row.median_abs_error:.0%}\n")
                return 0
            table = validation_table(inputs, database)
            table["result"] = table["passed"].map({True: "pass", False: "FAIL"})
            if args.format == "csv":
                out = table.rename(columns={"published_value": "published", "model_value": "model",
                                            "source_ids": "sources"})
                sys.stdout.write(out[["target", "year", "kind", "published", "low", "high", "model", "result",
                                      "sources"]].to_csv(index=False, float_format="%.6g"))
            else:
                cols = ["target", "year", "kind", "published_value", "low", "high", "model_value", "unit", "result",
                        "source_ids"]
                sys.stdout.write(table[cols].to_string(index=False, float_format=lambda v: f"{v:,.3g}") + "\n")
                for row in table[~table.passed].itertuples(index=False):
                    sys.stdout.write(f"\n{row.target} ({row.kind}) fails: {row.explanation or 'not explained'}\n")
            calibration = table[table.kind == "calibration"]
            evidence = table[table.kind == "out-of-sample"]
            # Exit status: a calibration target that fails means the fit broke; an out-of-sample target that
            # fails without an explanation is a new, unexplained miss. Explained misses are the record.
            broken = (~calibration.passed).any() or ((~evidence.passed) & (evidence.explanation == "")).any()
            sys.stderr.write(f"{int(evidence.passed.sum())} of {len(evidence)} out-of-sample targets pass "
                             f"({len(calibration)} calibration targets shown, not counted as evidence)\n")
            return 1 if broken else 0
        elif args.command == "check":
            from chokepoint.check import run_checks

            checks = run_checks(inputs)
            for c in checks:
                sys.stdout.write(f"{'pass' if c.passed else 'FAIL'}  {c.name:15s} {c.what}\n      {'':15s} {c.measured}\n")
            failed = [c.name for c in checks if not c.passed]
            sys.stdout.write(f"{len(checks) - len(failed)} of {len(checks)} plausibility checks pass"
                             + (f"; failing: {', '.join(failed)}\n" if failed else "\n"))
            return 1 if failed else 0
    except ScenarioError as exc:
        sys.stderr.write(f"chokepoint: error: {exc}\n")
        return 2
    except DataError as exc:
        sys.stderr.write(f"chokepoint: data error: {exc}\n")
        return 1
    except OSError as exc:
        sys.stderr.write(f"chokepoint: error: {exc.strerror or exc}: {getattr(exc, 'filename', '')}\n")
        return 2
    return 0
