"""Load `data/` into DuckDB once per process, validated, and run the SQL in `queries/`.

A malformed file stops the load with a `DataError` that names the file, the row and the problem.
Every query runs on its own cursor: one DuckDB connection shared between threads returns wrong
answers under load.
"""
from __future__ import annotations

import csv
import functools
import hashlib
import math
import os
import threading
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd

from chokepoint import formatting

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA_DIR = ROOT / "data"
QUERIES_DIR = ROOT / "queries"


class DataError(Exception):
    """A data file is missing or malformed. The message names the file, row and problem."""


@dataclass(frozen=True)
class Column:
    name: str
    kind: str = "str"  # str | float | int | date | ids
    required: bool = True
    choices: tuple[str, ...] | None = None
    low: float | None = None
    high: float | None = None


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...] = ()
    extra_checks: tuple = field(default=())


def _c(name, kind="str", required=True, choices=None, low=None, high=None):
    return Column(name, kind, required, tuple(choices) if choices else None, low, high)


CONFIDENCE = (
    "verified-in-source",
    "verified-in-source (secondary)",
    "derived-from-verified",
    "from-memory-unverified",
)
BASIS = ("sourced", "derived", "calibrated", "judgment")
COMPANIES = (
    "Nvidia", "AMD", "Intel", "Qualcomm", "Broadcom", "Micron", "Texas Instruments",
    "Applied Materials", "Lam Research", "KLA", "ASML", "Tokyo Electron",
)


def _check_parameter_ranges(rows, where):
    for line, row in rows:
        if not (row["low"] <= row["default"] <= row["high"]):
            raise DataError(
                f"{where}, row {line} ({row['name']}): default {row['default']} is outside "
                f"its range {row['low']}..{row['high']}"
            )


LADDER_COLUMNS = ("equipment_level", "hbm_level", "enforcement_level")


def _check_anchors_monotone(rows, where):
    """Stricter export controls must never offer better terms: the model's invariants rest on it."""
    anchors = sorted(
        ((r["value"], r, line) for line, r in rows if r["lever"] == "export_controls"),
        key=lambda t: t[0],
    )
    if not anchors or anchors[0][0] != 0 or anchors[-1][0] != 100:
        raise DataError(f"{where}: export_controls anchors must include 0 and 100")
    previous = None
    for value, r, line in anchors:
        for col in ("legal_price_perf_index", "us_price_index", "licence_availability", "fee_share", *LADDER_COLUMNS):
            if r[col] is None:
                raise DataError(f"{where}, row {line}: export_controls anchor {value} needs '{col}'")
        if previous is not None:
            if r["licence_availability"] > previous["licence_availability"] + 1e-12:
                raise DataError(
                    f"{where}, row {line}: licence_availability rises from "
                    f"{previous['licence_availability']} to {r['licence_availability']} at stricter level {value}"
                )
            if r["legal_price_perf_index"] > previous["legal_price_perf_index"] + 1e-12:
                raise DataError(
                    f"{where}, row {line}: legal_price_perf_index rises at stricter level {value}"
                )
            for col in LADDER_COLUMNS:  # the ladder: no stricter rung loosens a control a laxer one kept
                if r[col] is not None and previous[col] is not None and r[col] < previous[col] - 1e-12:
                    raise DataError(f"{where}, row {line}: {col} falls from {previous[col]:g} to {r[col]:g} at "
                                    f"stricter level {value}: a stricter rung may not loosen a control")
        previous = r
    gates = sorted(((r["value"], r, line) for line, r in rows if r["lever"] == "self_reliance"), key=lambda t: t[0])
    if not gates or gates[0][0] != 0 or gates[-1][0] != 100:
        raise DataError(f"{where}: self_reliance anchors must include 0 and 100")
    previous = None
    for value, r, line in gates:
        if r["us_import_gate"] is None:
            raise DataError(f"{where}, row {line}: self_reliance anchor {value:g} needs 'us_import_gate'")
        if previous is not None and r["us_import_gate"] > previous["us_import_gate"] + 1e-12:
            raise DataError(f"{where}, row {line}: us_import_gate rises at the stronger push {value:g}")
        previous = r


def _check_basis_has_sources(rows, where):
    for line, row in rows:
        if row["basis"] in ("sourced", "derived", "calibrated") and not row["source_ids"]:
            raise DataError(
                f"{where}, row {line}: basis '{row['basis']}' needs at least one source id "
                f"(or label the value 'judgment')"
            )


SCHEMAS: dict[str, Table] = {
    t.name: t
    for t in (
        Table(
            "sources",
            (
                _c("source_id"), _c("title"), _c("url"), _c("publisher"), _c("date"),
                _c("confidence", choices=CONFIDENCE), _c("locator", required=False),
            ),
            key=("source_id",),
        ),
        Table(
            "parameters",
            (
                _c("name"), _c("group"), _c("label"), _c("default", "float"), _c("low", "float"),
                _c("high", "float"), _c("unit"), _c("basis", choices=BASIS),
                _c("source_ids", "ids", required=False), _c("note", required=False),
            ),
            key=("name",),
            extra_checks=(_check_parameter_ranges, _check_basis_has_sources),
        ),
        Table(
            "regime_anchors",
            (
                _c("lever", choices=("export_controls", "self_reliance")),
                _c("value", "float", low=0, high=100), _c("label"),
                _c("legal_price_perf_index", "float", required=False, low=0.01, high=100),
                _c("us_price_index", "float", required=False, low=0.01, high=100),
                _c("licence_availability", "float", required=False, low=0, high=1),
                _c("fee_share", "float", required=False, low=0, high=1),
                _c("equipment_level", "float", required=False, low=0, high=100),
                _c("hbm_level", "float", required=False, low=0, high=100),
                _c("enforcement_level", "float", required=False, low=0, high=100),
                _c("us_import_gate", "float", required=False, low=0, high=1),
                _c("basis", choices=BASIS), _c("source_ids", "ids", required=False),
                _c("note", required=False),
            ),
            key=("lever", "value"),
            extra_checks=(_check_anchors_monotone, _check_basis_has_sources),
        ),
        Table(
            "regime_history",
            (
                _c("year", "int", low=2024, high=2026), _c("start_month", "int", low=1, high=12),
                _c("months", "int", low=1, high=12), _c("export_controls", "float", low=0, high=100),
                _c("equipment", "float", low=0, high=100), _c("hbm", "float", low=0, high=100),
                _c("enforcement", "float", low=0, high=100),
                _c("self_reliance", "float", low=0, high=100), _c("basis", choices=BASIS),
                _c("source_ids", "ids", required=False), _c("note", required=False),
            ),
            key=("year", "start_month"),
            extra_checks=(_check_basis_has_sources,),
        ),
        Table(
            "presets",
            (
                _c("preset"), _c("export_controls", "float", low=0, high=100),
                _c("self_reliance", "float", low=0, high=100), _c("description"),
                _c("basis", choices=BASIS), _c("source_ids", "ids", required=False),
            ),
            key=("preset",),
            extra_checks=(_check_basis_has_sources,),
        ),
        Table(
            "backtest_vintages",
            (
                _c("name"), _c("known_from", "int", low=2025, high=2026), _c("prior", "float"),
                _c("basis", choices=BASIS), _c("source_ids", "ids", required=False), _c("note"),
            ),
            key=("name",),
            extra_checks=(_check_basis_has_sources,),
        ),
        Table(
            "validation_targets",
            (
                _c("target_id"), _c("description"), _c("kind", choices=("calibration", "out-of-sample")),
                _c("metric"), _c("entity"),
                _c("year", "int", low=2024, high=2032), _c("base_year", "int", required=False, low=2024, high=2032),
                _c("published_value", "float"),
                _c("low", "float"), _c("high", "float"), _c("unit"), _c("basis", choices=BASIS),
                _c("source_ids", "ids", required=False), _c("note", required=False),
                _c("fitted_by", required=False), _c("explanation", required=False),
            ),
            key=("target_id",),
            extra_checks=(_check_basis_has_sources,),
        ),
        Table(
            "company_baseline",
            (
                _c("company", choices=COMPANIES),
                _c("kind", choices=("Chip designer", "Equipment maker")),
                _c("base_fiscal_year"), _c("base_calendar_year", "int", low=2015, high=2026),
                _c("currency", choices=("USD", "EUR", "JPY")),
                _c("china_revenue", "float", low=0), _c("total_revenue", "float", required=False, low=0),
                _c("china_basis"), _c("status", choices=("reported", "derived")),
                _c("source_ids", "ids"), _c("note", required=False),
            ),
            key=("company",),
        ),
        Table(
            "company_financials",
            (
                _c("company", choices=COMPANIES), _c("fiscal_year"), _c("fiscal_year_end", required=False),
                _c("calendar_year", "int", low=2010, high=2030),
                _c("metric", choices=("china_revenue", "total_revenue", "china_share_pct")),
                _c("value", "float", required=False, low=0), _c("unit"), _c("scope", required=False),
                _c("status", choices=("reported", "derived", "unverified", "gap")),
                _c("source_id", "ids", required=False), _c("note", required=False),
            ),
        ),
        Table(
            "china_market_estimates",
            (
                _c("estimate_source"), _c("year", "int", low=2015, high=2035), _c("vendor"), _c("metric"),
                _c("value", "float", low=0), _c("unit"), _c("scope", required=False),
                _c("kind", choices=("actual", "estimate", "forecast", "plan", "ceiling")),
                _c("source_id", "ids"), _c("note", required=False),
            ),
        ),
        Table(
            "chip_specs",
            (
                _c("system"), _c("vendor"), _c("kind", choices=("chip", "system")),
                _c("bf16_dense_tflops", "float", required=False, low=0),
                _c("memory_gb", "float", required=False, low=0),
                _c("memory_bandwidth_tbs", "float", required=False, low=0),
                _c("power_kw", "float", required=False, low=0),
                _c("interconnect_gbs", "float", required=False, low=0),
                _c("tpp", "float", required=False, low=0),
                _c("chips_per_system", "float", required=False, low=0),
                _c("source_ids", "ids"), _c("note", required=False),
            ),
            key=("system",),
        ),
        Table(
            "policy_events",
            (
                _c("date", "date"), _c("actor", choices=("US", "China")), _c("kind"), _c("title"),
                _c("description"), _c("lever", choices=("export_controls", "self_reliance")),
                _c("source_id", "ids"),
            ),
        ),
        Table(
            "claims",
            (
                _c("claim_id"), _c("claim"), _c("made_by"),
                _c("verdict", choices=formatting.VERDICTS),
                _c("explanation"), _c("source_ids", "ids", required=False),
                _c("condition_kind", choices=("none", "figure", "threshold")),
                _c("metric", required=False), _c("entity", required=False), _c("versus", required=False),
                _c("year", "int", required=False, low=2024, high=2030),
                _c("comparison", required=False, choices=("above", "below")),
                _c("threshold", required=False),
                _c("lever", required=False, choices=("export_controls", "self_reliance")),
                _c("other_lever", required=False), _c("page", required=False),
            ),
            key=("claim_id",),
        ),
        Table(
            "claim_figures",
            (
                _c("claim_id"), _c("key"), _c("label"),
                _c("dataset", choices=("china_market_estimates", "chip_specs", "company_financials", "model",
                                       "ratio")),
                _c("selector"), _c("source_ids", "ids", required=False),
            ),
            key=("claim_id", "key"),
        ),
    )
}


MODEL_INPUT_TABLES = ("company_baseline", "parameters", "presets", "regime_anchors", "regime_history")


def _parse(value: str, col: Column, where: str):
    text = value.strip() if value is not None else ""
    if text == "":
        if col.required:
            raise DataError(f"{where}: column '{col.name}' is empty but required")
        return None
    if col.kind in ("float", "int"):
        try:
            number = float(text)
        except ValueError:
            raise DataError(f"{where}: column '{col.name}' is '{text}', not a number") from None
        if not math.isfinite(number):
            raise DataError(f"{where}: column '{col.name}' is '{text}', not a finite number")
        if col.kind == "int":
            if number != int(number):
                raise DataError(f"{where}: column '{col.name}' is '{text}', not a whole number")
            number = int(number)
        if col.low is not None and number < col.low or col.high is not None and number > col.high:
            raise DataError(
                f"{where}: column '{col.name}' is {text}, outside {col.low}..{col.high}"
            )
        return number
    if col.kind == "date":
        try:
            return date.fromisoformat(text)
        except ValueError:
            raise DataError(f"{where}: column '{col.name}' is '{text}', not a date (YYYY-MM-DD)") from None
    if col.kind == "ids":
        return ";".join(part.strip() for part in text.split(";") if part.strip())
    if col.choices and text not in col.choices:
        raise DataError(
            f"{where}: column '{col.name}' is '{text}', expected one of: {', '.join(col.choices)}"
        )
    return text


def read_table(path: Path, table: Table) -> list[tuple[int, dict]]:
    """Parse and type-check one CSV. Returns (line number, row) pairs."""
    where_file = f"data/{path.name}"
    if not path.exists():
        raise DataError(f"{where_file}: file is missing")
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            reader = csv.DictReader(handle)
            header = reader.fieldnames or []
            missing = [c.name for c in table.columns if c.name not in header]
            if missing:
                raise DataError(f"{where_file}: missing column(s): {', '.join(missing)}")
            rows = []
            seen = {}
            for row in reader:
                line = reader.line_num
                if None in row:
                    raise DataError(f"{where_file}, row {line}: more cells than header columns")
                if all((v or "").strip() == "" for v in row.values()):
                    continue
                where = f"{where_file}, row {line}"
                typed = {c.name: _parse(row.get(c.name), c, where) for c in table.columns}
                if table.key:
                    key = tuple(typed[k] for k in table.key)
                    if key in seen:
                        raise DataError(f"{where}: duplicate {'/'.join(table.key)} {key} (first at row {seen[key]})")
                    seen[key] = line
                rows.append((line, typed))
    except UnicodeDecodeError as exc:
        raise DataError(f"{where_file}: not UTF-8 text ({exc.reason})") from None
    except csv.Error as exc:
        raise DataError(f"{where_file}: not a readable CSV ({exc})") from None
    if not rows:
        raise DataError(f"{where_file}: has no data rows")
    for check in table.extra_checks:
        check(rows, where_file)
    return rows


def _check_source_ids(tables: dict[str, list[tuple[int, dict]]]) -> None:
    known = {row["source_id"] for _, row in tables["sources"]}
    for name, rows in tables.items():
        for col in SCHEMAS[name].columns:
            if col.kind != "ids":
                continue
            for line, row in rows:
                for source_id in (row[col.name] or "").split(";"):
                    if source_id and source_id not in known:
                        raise DataError(
                            f"data/{name}.csv, row {line}: source id '{source_id}' is not in data/sources.csv"
                        )


def _frame(table: Table, rows: list[tuple[int, dict]]) -> pd.DataFrame:
    dtypes = {"float": "float64", "int": "Int64", "date": "object", "str": "object", "ids": "object"}
    frame = pd.DataFrame([row for _, row in rows], columns=[c.name for c in table.columns])
    for col in table.columns:
        if col.kind == "float":
            frame[col.name] = pd.to_numeric(frame[col.name], errors="raise").astype("float64")
        elif col.kind == "int":
            frame[col.name] = frame[col.name].astype(dtypes["int"])
        elif col.kind == "date":
            frame[col.name] = pd.to_datetime(frame[col.name])
        else:
            frame[col.name] = frame[col.name].astype("object")
    return frame


@dataclass
class Database:
    connection: duckdb.DuckDBPyConnection
    data_dir: Path
    data_version: str
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def cursor(self) -> duckdb.DuckDBPyConnection:
        with self._lock:
            return self.connection.cursor()


def build_database(data_dir: Path | str) -> Database:
    """Read, validate and load every table. Raises DataError naming file, row and problem."""
    data_dir = Path(data_dir)
    tables = {name: read_table(data_dir / f"{name}.csv", table) for name, table in SCHEMAS.items()}
    _check_source_ids(tables)
    # The data version names the inputs that can change a number (not sources' wording or the claims text),
    # so a saved link only reports "recomputed" when its numbers could have moved.
    digest = hashlib.sha256()
    for name in MODEL_INPUT_TABLES:
        digest.update((data_dir / f"{name}.csv").read_bytes())
    connection = duckdb.connect(":memory:")
    for name, rows in tables.items():
        frame = _frame(SCHEMAS[name], rows)
        connection.register("incoming", frame)
        connection.execute(f'CREATE TABLE "{name}" AS SELECT * FROM incoming')  # name from SCHEMAS allow-list
        connection.unregister("incoming")
    return Database(connection, data_dir, digest.hexdigest()[:12])


def data_dir_from_env() -> Path:
    return Path(os.environ.get("CHOKEPOINT_DATA_DIR") or DEFAULT_DATA_DIR)


@functools.lru_cache(maxsize=4)
def _database_for(data_dir: str) -> Database:
    return build_database(data_dir)


def get_database(data_dir: Path | str | None = None) -> Database:
    """The process-wide database for a data folder, built once."""
    return _database_for(str(Path(data_dir or data_dir_from_env()).resolve()))


@functools.lru_cache(maxsize=None)
def query_text(name: str) -> str:
    path = QUERIES_DIR / f"{name}.sql"
    if not name.replace("_", "").isalnum() or not path.exists():
        raise KeyError(f"no query named '{name}' in queries/")
    return path.read_text(encoding="utf-8")


def run_query(name: str, database: Database | None = None, **params) -> pd.DataFrame:
    """Run queries/<name>.sql with bound named parameters ($name) on a fresh cursor."""
    database = database or get_database()
    cursor = database.cursor()
    try:
        return cursor.execute(query_text(name), params or None).df()
    finally:
        cursor.close()
