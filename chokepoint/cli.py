"""Command line: `python -m chokepoint run|params|validate`."""
from __future__ import annotations

import argparse
import json
import sys

from chokepoint.data import DataError, get_database, run_query
from chokepoint.engine import run_scenario
from chokepoint.params import ScenarioError, load_model_inputs, preset_scenario, scenario_from_settings
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


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m chokepoint", description="Chokepoint scenario engine.")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    run = commands.add_parser("run", help="run a scenario and print a tidy table")
    run.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                     help="a lever or parameter, e.g. export_controls=80 (repeatable)")
    run.add_argument("--preset", help="start from a named preset")
    run.add_argument("--format", choices=("csv", "json"), default="csv")
    run.add_argument("--out", help="write to this file instead of standard output")
    commands.add_parser("params", help="list every parameter with default, range, unit and basis")
    validate = commands.add_parser("validate", help="print the validation table")
    validate.add_argument("--format", choices=("table", "csv"), default="table")
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        database = get_database()
        inputs = load_model_inputs(database)
        if args.command == "run":
            settings = _settings(args.set)
            if args.preset:
                base = preset_scenario(args.preset, inputs)
                settings = {**base.settings(), **settings}
            scenario = scenario_from_settings(settings, inputs, name=args.preset or "")
            table = run_scenario(scenario, inputs).tidy()
            if args.format == "csv":
                output = table.to_csv(index=False, float_format="%.6g")
            else:
                output = json.dumps(table.to_dict(orient="records"), indent=1, allow_nan=False,
                                    default=float) if not table.value.isna().any() else \
                    table.to_json(orient="records", indent=1)
            if args.out:
                with open(args.out, "w", encoding="utf-8") as handle:
                    handle.write(output)
            else:
                sys.stdout.write(output)
        elif args.command == "params":
            frame = run_query("model_parameters", database)
            frame["basis"] = [b if b == "judgment" else f"{b}: {s}" for b, s in
                              zip(frame["basis"], frame["source_ids"].fillna(""))]
            cols = ["name", "default", "low", "high", "unit", "basis"]
            sys.stdout.write(frame[cols].to_string(index=False) + "\n")
        elif args.command == "validate":
            table = validation_table(inputs, database)
            table["result"] = table["passed"].map({True: "pass", False: "FAIL"})
            cols = ["target", "year", "published_value", "low", "high", "model_value", "unit", "result",
                    "basis", "source_ids"]
            if args.format == "csv":
                sys.stdout.write(table[cols].to_csv(index=False))
            else:
                sys.stdout.write(table[cols].to_string(index=False, float_format=lambda v: f"{v:,.3g}") + "\n")
            return 0 if table["passed"].all() else 1
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
