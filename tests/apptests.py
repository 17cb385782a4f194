"""Shared AppTest helpers: run the real app (app.py) with a query string, optionally on another page, and check
that what a page shows is whole: no error or exception on it, and no chart drawn from empty or NaN data."""
import json
import math
import re
from pathlib import Path

import pandas as pd
from streamlit.dataframe_util import convert_arrow_bytes_to_pandas_df
from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parent.parent / "app.py")


def run_app(page: str | None = None, timeout: float = 120, **query) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=timeout)
    for key, value in query.items():
        at.query_params[key] = value
    at.run()
    if page:
        at.switch_page(page).run()
    return at


def shown(markdown: str) -> str:
    """What Markdown source built with saved.plain shows on screen: the backslash escapes and the invisible
    word joiners (U+2060) it adds taken out again. AppTest sees the source; a browser sees this."""
    return re.sub(r"\\(.)", r"\1", markdown).replace("\u2060", "")


# --- Is the page whole? -------------------------------------------------------------------------------------------

# Channels that place a mark: an empty value there draws the mark nowhere (or at a "null" category).
POSITION_CHANNELS = ("x", "y", "x2", "y2", "theta", "theta2", "radius", "radius2", "latitude", "longitude")


def charts(at: AppTest) -> list:
    """The Vega-Lite chart elements on the page (st.altair_chart and st.vega_lite_chart both make one)."""
    return list(at.get("vega_lite_chart"))


def chart_title(element) -> str:
    title = json.loads(element.proto.spec).get("title")
    return str(title.get("text") if isinstance(title, dict) else title)


def chart_tables(element) -> dict[str, pd.DataFrame]:
    """Every table Streamlit ships with a chart, decoded from Arrow: the unnamed one under "" (st.altair_chart of
    one frame) and each named dataset (Altair's layers, or datasets=) under its name."""
    tables = {}
    if element.proto.HasField("data") and element.proto.data.data:
        tables[""] = convert_arrow_bytes_to_pandas_df(element.proto.data.data)
    for dataset in element.proto.datasets:
        tables[dataset.name] = convert_arrow_bytes_to_pandas_df(dataset.data.data)
    return tables


def _made_by_transforms(transforms) -> set[str] | None:
    """Field names the transforms create (their "as"); None when a transform makes names from the data (pivot)."""
    names: set[str] = set()

    def collect(node):
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "as":
                    names.update([value] if isinstance(value, str) else [v for v in value if isinstance(v, str)])
                else:
                    collect(value)
        elif isinstance(node, list):
            for item in node:
                collect(item)

    for transform in transforms:
        if "pivot" in transform:
            return None
        collect(transform)
    return names


def _views(spec: dict, data=None, encoding=None, made=frozenset()):
    """(data, encoding, fields made by transforms) for every view of a spec that draws a mark; a layer inherits its
    parent's data and encoding, a concatenated view its data only."""
    data = spec.get("data", data)
    encoding = {**(encoding or {}), **spec.get("encoding", {})}
    new = _made_by_transforms(spec.get("transform", []))
    made = None if made is None or new is None else made | new
    if "mark" in spec:
        yield data, encoding, made
    for sub in spec.get("layer", []):
        yield from _views(sub, data, encoding, made)
    for key in ("hconcat", "vconcat", "concat"):
        for sub in spec.get(key, []):
            yield from _views(sub, data, None, made)
    if isinstance(spec.get("spec"), dict):  # facet / repeat
        yield from _views(spec["spec"], data, None, made)


def _channel_defs(encoding: dict):
    for channel, definition in encoding.items():
        for item in definition if isinstance(definition, list) else [definition]:  # tooltip may be a list
            if isinstance(item, dict) and isinstance(item.get("field"), str):
                yield channel, item


def chart_problems(element) -> list[str]:
    """What makes a chart draw nothing, or draw numbers that are not there. Each data table Streamlit ships must
    have rows; every view must find its data; a field a mark is placed by, or any quantitative field, must exist
    in its view's data (unless a transform makes it) and hold no empty values (None/NaN), and a quantitative one
    only finite numbers."""
    spec = json.loads(element.proto.spec)
    tables = chart_tables(element)
    problems = [f"dataset {name or '(unnamed)'!r} has no rows" for name, frame in tables.items() if frame.empty]
    views = list(_views(spec))
    if not views:
        problems.append("the spec draws no mark")
    drawn = False
    for data, encoding, made in views:
        if data is None:
            frame = tables.get("")
        elif "name" in data:
            frame = tables.get(data["name"])
            if frame is None and isinstance(spec.get("datasets", {}).get(data["name"]), list):
                frame = pd.DataFrame(spec["datasets"][data["name"]])
        elif "values" in data:
            frame = pd.DataFrame(data["values"])
        else:
            problems.append(f"a view reads data it does not carry: {str(data)[:80]}")
            continue
        if frame is None:
            problems.append(f"a view reads {data.get('name') if data else 'the unnamed data'!r}, which the chart "
                            "does not carry")
            continue
        if frame.empty:  # an empty layer (say, no events in range) is allowed; a chart with no rows at all is not
            continue
        drawn = True
        for channel, definition in _channel_defs(encoding):
            field, kind = definition["field"], definition.get("type")
            if kind is None and channel.endswith("2") and isinstance(encoding.get(channel[:-1]), dict):
                kind = encoding[channel[:-1]].get("type")  # x2/y2 take x/y's type
            if definition.get("aggregate") == "count" or not (kind == "quantitative" or channel in POSITION_CHANNELS):
                continue
            if field not in frame.columns:
                if made is not None and field not in made:
                    problems.append(f"{channel} field {field!r} is not in its data (columns: {list(frame.columns)})")
                continue
            column = frame[field]
            empty = int(column.isna().sum())
            if empty:
                problems.append(f"{channel} field {field!r} is empty in {empty} of {len(column)} rows")
            if kind == "quantitative":
                numbers = pd.to_numeric(column.dropna(), errors="coerce")
                bad = int(numbers.isna().sum()) + int(sum(not math.isfinite(v) for v in numbers.dropna()))
                if bad:
                    problems.append(f"{channel} field {field!r} has {bad} values that are not finite numbers")
    if views and not drawn:
        problems.append("no view has a single row to draw")
    return list(dict.fromkeys(problems))


def page_problems(at: AppTest, allow_errors=()) -> list[str]:
    """Everything that says a page is broken: an uncaught exception, an st.error, a chart with nothing to draw.
    An st.error whose text contains one of `allow_errors` (substrings) is one the test expects, not a problem."""
    problems = [f"exception: {e.message}" for e in at.exception]
    problems += [f"st.error: {e.value}" for e in at.error if not any(a in e.value for a in allow_errors)]
    for element in charts(at):
        problems += [f"chart {chart_title(element)!r}: {p}" for p in chart_problems(element)]
    return problems


def assert_page_healthy(at: AppTest, allow_errors=()) -> AppTest:
    """Every page test goes through this after every run: fails with all that is wrong, else returns `at`.
    A test that deliberately causes an st.error names it in `allow_errors` (substrings of its text) and asserts
    that error itself; any other error, exception or broken chart still fails."""
    if isinstance(allow_errors, str):
        allow_errors = (allow_errors,)
    problems = page_problems(at, allow_errors)
    assert not problems, "the page is broken:\n  " + "\n  ".join(problems)
    return at
