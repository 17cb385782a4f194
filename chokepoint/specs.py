"""Vega-Lite specs as plain data, without Altair: what a page does with a built chart on every run (swap in
a scenario's rows, enlarge its type), and an on-disk cache of built chart templates.

Altair builds the charts (chokepoint/charts.py) but costs ~0.2 s to import and tens of milliseconds per
chart. A server that restarts with its templates on disk draws the landing page without loading it at all.
A cached template is used only if it was built from exactly this code and this data: its file name is a
hash of every source file of the package, the query files, every file in data/, the Altair version and
the chart's arguments, so a change to any of them builds (and saves) a new one. The cache folder is
CHOKEPOINT_CACHE_DIR, else .cache/ in the project; if it cannot be read or written the app simply builds.
"""
from __future__ import annotations

import copy
import functools
import hashlib
import json
import logging
import os
import tempfile
from importlib import metadata
from pathlib import Path

from chokepoint.formatting import FIRST_LEVER_YEAR  # 2024 calibrated and 2025-2026 replayed: drawn as history

LOGGER = logging.getLogger(__name__)
ROOT = Path(__file__).resolve().parent.parent


def records(frame) -> list[dict]:
    return frame if isinstance(frame, list) else frame.to_dict(orient="records")


def series_records(rows) -> list[dict]:
    """Rows for the main layer of a series chart: each series split into history (the replayed years, to
    FIRST_LEVER_YEAR - 1) and projection (from that last replayed year, so the lines join), with a source.
    Accepts a DataFrame or a list of dicts."""
    out = []
    for row in records(rows):
        row = row if "source" in row else {**row, "source": "Chokepoint model"}
        if row["year"] < FIRST_LEVER_YEAR:
            out.append({**row, "phase": "History (replayed)"})
        if row["year"] >= FIRST_LEVER_YEAR - 1:
            out.append({**row, "phase": "Projection"})
    return out


def reference_records(rows) -> list[dict]:
    return [{**row, "source": "Reference scenario"} for row in records(rows)]


def with_data(template: dict, **datasets: list[dict]) -> dict:
    """A copy of a chart spec with some named datasets replaced: the fast path for a new scenario
    (rebuilding an Altair chart costs tens of milliseconds, swapping its rows well under one)."""
    unknown = set(datasets) - set(template.get("datasets", {}))
    if unknown:
        raise KeyError(f"chart has no dataset named {sorted(unknown)}")
    # A deep copy: the template is shared by every session, and st.vega_lite_chart edits the spec it is given
    # (it rewrites null legend titles), which would otherwise change the cached template under other sessions.
    # The static layers' inline rows (policy events, published estimates) are only read, by Streamlit and by
    # vl-convert alike: they are shared, not copied (copying them was most of the ~1 ms a headline chart took).
    memo = {id(rows): rows for rows in _inline_values(template)}
    spec = {key: copy.deepcopy(value, memo) for key, value in template.items() if key != "datasets"}
    spec["datasets"] = {**template["datasets"], **datasets}
    return spec


def _inline_values(node) -> list[list]:
    """Every inline data table (`{"data": {"values": [...]}}`) in a spec."""
    found = []
    if isinstance(node, dict):
        data = node.get("data")
        if isinstance(data, dict) and isinstance(data.get("values"), list):
            found.append(data["values"])
        for value in node.values():
            found += _inline_values(value)
    elif isinstance(node, list):
        for value in node:
            found += _inline_values(value)
    return found


# Briefing mode is read from the back of a room: no chart text under 18 px. Its colour is the page's text colour
# (chokepoint/ui/present.css), so it meets AAA contrast (7:1) in the light and the dark theme alike.
PRESENT_MIN_PX = 18


def large_type(spec: dict, scale: float = 1.6) -> dict:
    """The same chart with type sized for the back of a room (presentation mode): each size `scale` times the
    chart's own, and never under PRESENT_MIN_PX."""
    def size(base: float) -> float:
        return max(PRESENT_MIN_PX, base * scale)

    config = dict(spec.get("config", {}))
    config["axis"] = {**config.get("axis", {}), "labelFontSize": size(11), "titleFontSize": size(12)}
    config["legend"] = {**config.get("legend", {}), "labelFontSize": size(11), "titleFontSize": size(12),
                        "symbolSize": 100 * scale}
    config["title"] = {**config.get("title", {}), "fontSize": size(14), "subtitleFontSize": size(10)}
    return {**spec, "config": config, "height": int(spec.get("height", 320) * 1.25)}


def _files_digest(paths) -> str:
    digest = hashlib.sha256()
    for path in sorted(paths):
        digest.update(str(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path.name).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


@functools.lru_cache(maxsize=1)
def code_digest() -> str:
    """Every source file that can shape a chart (the whole package and the queries) and Altair's version."""
    paths = [*(ROOT / "chokepoint").rglob("*.py"), *(ROOT / "queries").glob("*.sql")]
    try:
        altair_version = metadata.version("altair")
    except metadata.PackageNotFoundError:
        altair_version = "none"
    return _files_digest(paths) + altair_version


@functools.lru_cache(maxsize=8)
def data_digest(data_dir: str) -> str:
    return _files_digest([p for p in Path(data_dir).iterdir() if p.is_file()])


def cache_dir() -> Path:
    return Path(os.environ.get("CHOKEPOINT_CACHE_DIR") or ROOT / ".cache") / "chart-templates"


def template_path(data_dir: str | Path, *args) -> Path:
    key = hashlib.sha256(json.dumps([code_digest(), data_digest(str(data_dir)), *args], default=str).encode())
    return cache_dir() / f"{key.hexdigest()[:32]}.json"


def load_template(path: Path) -> dict | None:
    try:
        with path.open(encoding="utf-8") as handle:
            spec = json.load(handle)
        return spec if isinstance(spec, dict) and "datasets" in spec else None
    except (OSError, ValueError):  # missing, unreadable or half-written by a crashed process: build instead
        return None


def save_template(path: Path, spec: dict) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=path.parent, suffix=".tmp",
                                         delete=False) as handle:
            json.dump(spec, handle)
        os.replace(handle.name, path)  # atomic: a reader sees the whole file or none
    except OSError as exc:  # a read-only deployment still works; it builds on every start
        LOGGER.info("Chart template not saved to %s: %s", path.parent, exc)
