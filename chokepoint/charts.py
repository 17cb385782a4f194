"""Altair chart builders: pure functions (dataframe, **options) -> alt.Chart. No Streamlit, no I/O.

Conventions: one colour and one point shape per vendor/company everywhere, so a series is told apart by more
than its colour (colours from the Okabe-Ito and Paul Tol palettes, adjusted so that every pair drawn together
stays apart under deuteranopia and protanopia: tests/test_palette.py); years are ordinal; units sit in axis
titles; 2024-2026 (history, replayed) solid, projections dashed; the reference scenario a faint dashed line;
tooltips carry value, unit and source.
"""
from __future__ import annotations

import json

import altair as alt
import pandas as pd

from chokepoint.formatting import HISTORY_LABEL, d3_format
from chokepoint.specs import records, reference_records, series_records

# Inline rows stay inline (Altair would otherwise hoist them into top-level named datasets, which Streamlit
# converts to Arrow on every rerun even when they never change).
alt.data_transformers.consolidate_datasets = False

ENTITY_COLORS = {
    # vendors in China's market (Okabe-Ito; grey market a dark grey: mid grey #7F7F7F met Nvidia's green under
    # deuteranopia, CIEDE2000 8.2)
    "Nvidia": "#009E73", "AMD": "#D55E00", "Huawei": "#CC79A7", "Cambricon": "#56B4E9",
    "Other domestic": "#0072B2", "Grey market": "#2B2B2B", "Domestic (all)": "#882255",
    # other US and allied firms (Paul Tol muted/light; Qualcomm, Broadcom, Texas Instruments and Applied
    # Materials moved the least that keeps all twelve firms of the revenue-at-risk chart apart under deuteranopia
    # and protanopia: Applied Materials' olive #999933 met AMD's orange at 5.1, Broadcom's #117733 AMD at 6.1)
    "Intel": "#332288", "Qualcomm": "#BBBB77", "Broadcom": "#116633", "Micron": "#88CCEE",
    "Texas Instruments": "#44BBAA", "Applied Materials": "#447766", "Lam Research": "#AA4499",
    "KLA": "#E69F00", "ASML": "#F0E442", "Tokyo Electron": "#000000",
}
# Vega symbol names, or SVG paths in the unit square for shapes Vega lacks.
STAR = "M0,-1L0.24,-0.33L0.95,-0.31L0.38,0.12L0.59,0.81L0,0.4L-0.59,0.81L-0.38,0.12L-0.95,-0.31L-0.24,-0.33Z"
HEXAGON = "M0,-1L0.87,-0.5L0.87,0.5L0,1L-0.87,0.5L-0.87,-0.5Z"
SALTIRE = ("M-0.8,-1L0,-0.2L0.8,-1L1,-0.8L0.2,0L1,0.8L0.8,1L0,0.2L-0.8,1L-1,0.8L-0.2,0L-1,-0.8Z")  # an X
PENTAGON = "M0,-1L0.95,-0.31L0.59,0.81L-0.59,0.81L-0.95,-0.31Z"
# One shape per series, as with colours: the shapes within any one chart differ (China's market: the first
# seven; the revenue-at-risk chart: Nvidia, AMD and the ten firms after them).
ENTITY_SHAPES = {
    "Nvidia": "circle", "AMD": "square", "Huawei": "triangle-up", "Cambricon": "diamond",
    "Other domestic": "triangle-down", "Grey market": "cross", "Domestic (all)": "triangle-right",
    "Intel": "triangle-up", "Qualcomm": "diamond", "Broadcom": "triangle-down", "Micron": "cross",
    "Texas Instruments": "triangle-right", "Applied Materials": "triangle-left", "Lam Research": STAR,
    "KLA": HEXAGON, "ASML": SALTIRE, "Tokyo Electron": PENTAGON,
}
HOURGLASS = "M-0.9,-1L0.9,-1L0,0L0.9,1L-0.9,1L0,0Z"
# Published estimates (large, outlined): the first four are shapes no series of China's market uses (a share
# chart shows up to four sources), all nine differ from the supply chart's four series (it shows nine).
ESTIMATE_SHAPES = [STAR, SALTIRE, HEXAGON, PENTAGON, "circle", "cross", "triangle-down", "triangle-left", HOURGLASS]
POINT_SIZE = 50  # large enough to tell the shapes apart (28 drew them as dots)
CAUSE_COLORS = {"Due to US controls": "#0072B2", "Due to China's policy": "#E69F00"}
# Scenarios compared (two to four): Okabe-Ito blue, orange, black and reddish purple stay apart under
# deuteranopia and protanopia (Dark2, used before, lost its first and fourth to deuteranopia: 4.9); each
# scenario also has its own dash and point shape.
SCENARIO_COLORS = ["#0072B2", "#E69F00", "#000000", "#CC79A7"]
SCENARIO_DASHES = [[1, 0], [6, 3], [2, 2], [10, 3, 2, 3]]
SCENARIO_SHAPES = ["circle", "square", "triangle-up", "diamond"]
YEAR_AXIS = alt.Axis(title="Year", labelAngle=0)


def _domain(entities) -> list[str]:
    return [e for e in ENTITY_COLORS if e in set(entities)]


def _keyed_legend(colors, shapes, **options) -> alt.Legend:
    """A colour legend whose symbols also take each series' point shape, fully opaque: one legend says both
    (Vega-Lite would draw the shapes as a second, uncoloured legend, as layers keep their shape scales apart).
    The symbol properties are expressions Vega evaluates per legend entry; datum.index is the entry's place in
    the colour scale's domain, which `colors` and `shapes` follow."""
    def pick(values):
        return alt.ExprRef(f"{json.dumps(list(values))}[datum.index]")
    return alt.Legend(orient="bottom", symbolType=pick(shapes), symbolFillColor=pick(colors),
                      symbolStrokeColor=pick(colors), symbolStrokeWidth=1, symbolOpacity=1, **options)


def _color(entities, title="", field="entity") -> alt.Color:
    domain = _domain(entities)
    colors = [ENTITY_COLORS[e] for e in domain]
    return alt.Color(f"{field}:N", title=title or None, scale=alt.Scale(domain=domain, range=colors),
                     legend=_keyed_legend(colors, [ENTITY_SHAPES[e] for e in domain], columns=4))


def _estimate_labels(markers: pd.DataFrame) -> list[str]:
    labels = sorted(markers.label.unique())
    if len(labels) > len(ESTIMATE_SHAPES):  # shapes would repeat: two sources drawn alike
        raise ValueError(f"{len(labels)} published-estimate sources, but only {len(ESTIMATE_SHAPES)} shapes for them")
    return labels


def _shape(entities, field="entity") -> alt.Shape:
    """The series' own point shapes (shown in the colour legend, see _keyed_legend)."""
    domain = _domain(entities)
    return alt.Shape(f"{field}:N", scale=alt.Scale(domain=domain, range=[ENTITY_SHAPES[e] for e in domain]),
                     legend=None)


def series_chart(frame: pd.DataFrame, *, title: str, y_title: str, unit: str,
                 reference: pd.DataFrame | None = None, markers: pd.DataFrame | None = None,
                 events: pd.DataFrame | None = None, bands: pd.DataFrame | None = None,
                 height: int = 320) -> alt.LayerChart:
    """Lines by entity over the years. `frame`: year, entity, value (+ source).
    `reference`: the same for the reference scenario (faint dashed). `markers`: year, entity, value,
    label, source (published estimates). `events`: year, title, source (policy events as rules).
    `bands`: year, entity, p5, p25, p75, p95 (Monte Carlo bands drawn as shaded areas).

    Layers read named datasets ("main", "reference", "markers", "events") carried in the chart, so
    `with_data` can swap in another scenario's rows without rebuilding the chart."""
    fmt = d3_format(unit)
    entities = list(frame.entity.unique()) + (list(markers.entity.unique()) if markers is not None else [])
    color = _color(entities)
    x = alt.X("year:O", axis=YEAR_AXIS)
    y = alt.Y("value:Q", title=y_title, axis=alt.Axis(format=fmt))
    tooltip = [alt.Tooltip("entity:N", title="Series"), alt.Tooltip("year:O", title="Year"),
               alt.Tooltip("value:Q", title=y_title, format=fmt), alt.Tooltip("source:N", title="Source")]
    datasets = {"main": series_records(frame)}
    # The line's dash says history or projection; its points' shape (and colour) say which series.
    lines = alt.Chart(alt.Data(name="main")).mark_line(strokeWidth=2.5).encode(
        x=x, y=y, color=color, detail="phase:N",
        strokeDash=alt.StrokeDash("phase:N", title=None,
                                  scale=alt.Scale(domain=["History (replayed)", "Projection"],
                                                  range=[[1, 0], [6, 3]]),
                                  legend=None),
        tooltip=tooltip,
    )
    points = alt.Chart(alt.Data(name="main")).mark_point(filled=True, size=POINT_SIZE, opacity=1).encode(
        x=x, y=y, color=color, shape=_shape(entities), tooltip=tooltip)
    layers = []
    if bands is not None and len(bands):
        datasets["bands"] = records(bands)
        band_tooltip = [alt.Tooltip("entity:N", title="Series"), alt.Tooltip("year:O", title="Year"),
                        alt.Tooltip("p5:Q", title="P5", format=fmt), alt.Tooltip("p25:Q", title="P25", format=fmt),
                        alt.Tooltip("p75:Q", title="P75", format=fmt), alt.Tooltip("p95:Q", title="P95", format=fmt)]
        for low, high, opacity in (("p5", "p95", 0.13), ("p25", "p75", 0.25)):
            layers.append(alt.Chart(alt.Data(name="bands")).mark_area(opacity=opacity).encode(
                x=x, y=alt.Y(f"{low}:Q", title=y_title), y2=f"{high}:Q", color=color, detail="entity:N",
                tooltip=band_tooltip))
    if events is not None:
        events = events[events.year.between(frame.year.min(), frame.year.max())]
    # Static layers (events, markers) carry their rows inline: only the scenario's datasets change per move,
    # so Streamlit converts just those to Arrow on a rerun.
    if events is not None and len(events):
        layers.append(alt.Chart(alt.InlineData(values=records(events))).mark_rule(color="#BBBBBB", strokeWidth=1).encode(
            x=x, tooltip=[alt.Tooltip("year:O", title="Year"), alt.Tooltip("title:N", title="Policy event"),
                          alt.Tooltip("source:N", title="Source")]))
    if reference is not None and len(reference):  # inline: it changes only when the reference does
        layers.append(alt.Chart(alt.InlineData(values=reference_records(reference))).mark_line(
            strokeDash=[2, 3], strokeWidth=1.5, opacity=0.45).encode(x=x, y=y, color=color, tooltip=tooltip))
    layers += [lines, points]
    if markers is not None and len(markers):
        labels = _estimate_labels(markers)
        layers.append(alt.Chart(alt.InlineData(values=records(markers))).mark_point(
            size=110, filled=True, stroke="#222222", strokeWidth=1.2).encode(
            x=x, y=y, color=color,
            shape=alt.Shape("label:N", title="Published estimates",
                            scale=alt.Scale(domain=labels, range=ESTIMATE_SHAPES[:len(labels)]),
                            legend=alt.Legend(orient="bottom", columns=3, labelLimit=220)),
            tooltip=[alt.Tooltip("label:N", title="Estimate"), alt.Tooltip("entity:N", title="Series"),
                     alt.Tooltip("year:O", title="Year"), alt.Tooltip("value:Q", title=y_title, format=fmt),
                     alt.Tooltip("source:N", title="Source")]))
    subtitle = [f"Solid: {HISTORY_LABEL} · dashed: projection"
                + (" · dotted: reference scenario" if reference is not None and len(reference) else "")
                + (" · shading: P25-P75 and P5-P95 of 1,000 draws" if "bands" in datasets else "")]
    extra = [text for text, frame in (("markers: published estimates", markers),
                                      ("grey rules: policy events", events)) if frame is not None and len(frame)]
    if extra:
        subtitle.append(" · ".join(extra))
    return alt.layer(*layers).properties(
        title=alt.TitleParams(title, subtitle=subtitle, subtitleColor="#666666"), height=height,
        datasets=datasets,
    ).resolve_scale(color="shared", strokeDash="independent", shape="independent")


def cause_bars(frame: pd.DataFrame, *, title: str, x_title: str, unit: str, height: int | None = None) -> alt.Chart:
    """Horizontal stacked bars by company split by cause. `frame`: company, kind, cause, value, source.
    Companies are sorted by their total, largest first."""
    fmt = d3_format(unit)
    return alt.Chart(alt.Data(name="main")).mark_bar().encode(
        y=alt.Y("company:N", sort="-x", title=None, axis=alt.Axis(labelOverlap=False, labelLimit=160)),
        x=alt.X("sum(value):Q", title=x_title, axis=alt.Axis(format=fmt), stack="zero"),
        color=alt.Color("cause:N", title=None, scale=alt.Scale(domain=list(CAUSE_COLORS),
                                                                 range=list(CAUSE_COLORS.values())),
                        legend=alt.Legend(orient="bottom")),
        tooltip=[alt.Tooltip("company:N", title="Company"), alt.Tooltip("kind:N", title="Type"),
                 alt.Tooltip("cause:N", title="Cause"), alt.Tooltip("sum(value):Q", title=x_title, format=fmt),
                 alt.Tooltip("source:N", title="Source")],
    ).properties(title=title, height=alt.Step(height or 24), datasets={"main": records(frame)})


CAPACITY_STYLE = {  # series -> (colour, dash, point shape): output solid, limits dashed
    "Domestic output (model)": (ENTITY_COLORS["Domestic (all)"], [1, 0], ENTITY_SHAPES["Domestic (all)"]),
    "Huawei output (model)": (ENTITY_COLORS["Huawei"], [1, 0], ENTITY_SHAPES["Huawei"]),
    # blue, not the grey #555555 it was: that met the domestic output's wine red under deuteranopia (1.2)
    "Limit: wafers x yield + stockpiled dies": ("#0072B2", [6, 3], "square"),
    "Limit: HBM stacks": ("#E69F00", [2, 2], "diamond"),
}


def capacity_chart(frame: pd.DataFrame, *, title: str, markers: pd.DataFrame | None = None,
                   height: int = 320) -> alt.LayerChart:
    """Domestic output against its limits. `frame`: year, series, value (units), source."""
    domain = list(CAPACITY_STYLE)
    colors, dashes, shapes = ([CAPACITY_STYLE[s][i] for s in domain] for i in range(3))
    x = alt.X("year:O", axis=YEAR_AXIS)
    # Log scale: wafer capacity can run an order of magnitude above what HBM lets China package.
    y = alt.Y("value:Q", title="Accelerators per year (units, log scale)", axis=alt.Axis(format="~s"),
              scale=alt.Scale(type="log"))
    tooltip = [alt.Tooltip("series:N", title="Series"), alt.Tooltip("year:O", title="Year"),
               alt.Tooltip("value:Q", title="Units", format=",.0f"), alt.Tooltip("source:N", title="Source")]
    color = alt.Color("series:N", title=None, scale=alt.Scale(domain=domain, range=colors),
                      legend=_keyed_legend(colors, shapes, columns=2))
    datasets = {"main": records(frame)}
    layers = [
        alt.Chart(alt.Data(name="main")).mark_line(strokeWidth=2.5).encode(
            x=x, y=y, color=color, tooltip=tooltip,
            strokeDash=alt.StrokeDash("series:N", scale=alt.Scale(domain=domain, range=dashes), legend=None)),
        alt.Chart(alt.Data(name="main")).mark_point(filled=True, size=POINT_SIZE, opacity=1).encode(
            x=x, y=y, color=color, tooltip=tooltip,
            shape=alt.Shape("series:N", scale=alt.Scale(domain=domain, range=shapes), legend=None)),
    ]
    if markers is not None and len(markers):
        datasets["markers"] = records(markers)
        labels = _estimate_labels(markers)
        layers.append(alt.Chart(alt.Data(name="markers")).mark_point(
            size=110, filled=True, stroke="#222222", strokeWidth=1.2).encode(
            x=x, y=y, shape=alt.Shape("label:N", title="Published estimates",
                                      scale=alt.Scale(domain=labels, range=ESTIMATE_SHAPES[:len(labels)]),
                                      legend=alt.Legend(orient="bottom", columns=2)),
            color=alt.value("#CC79A7"),
            tooltip=[alt.Tooltip("label:N", title="Estimate"), alt.Tooltip("year:O", title="Year"),
                     alt.Tooltip("value:Q", title="Units", format=",.0f"), alt.Tooltip("source:N", title="Source")]))
    return alt.layer(*layers).properties(title=title, height=height, datasets=datasets).resolve_scale(
        shape="independent")


def spec(chart: alt.TopLevelMixin) -> dict:
    """The Vega-Lite dict for a chart, its data inline as named datasets.

    Width fits the container; height stays as set (Streamlit's default "fit" would squeeze the plot
    to make room for bottom legends)."""
    result = chart.to_dict(validate=False)
    result["autosize"] = {"type": "fit-x", "contains": "padding"}
    return result


def reported_history_chart(frame: pd.DataFrame, *, title: str, y_title: str, unit: str, height: int = 300) -> alt.Chart:
    """Reported figures by company over calendar years (filings; gaps stay gaps).
    `frame`: calendar_year, company, value, fiscal_year, status, source."""
    fmt = d3_format(unit)
    companies = list(frame.company.unique())
    return alt.Chart(frame).mark_line(point=alt.OverlayMarkDef(filled=True, size=POINT_SIZE, opacity=1),
                                      strokeWidth=2).encode(
        x=alt.X("calendar_year:O", axis=alt.Axis(title="Calendar year (fiscal years differ by firm)", labelAngle=0)),
        y=alt.Y("value:Q", title=y_title, axis=alt.Axis(format=fmt)),
        color=_color(companies, "Company", field="company"), shape=_shape(companies, field="company"),
        tooltip=[alt.Tooltip("company:N", title="Company"), alt.Tooltip("fiscal_year:N", title="Fiscal year"),
                 alt.Tooltip("value:Q", title=y_title, format=fmt), alt.Tooltip("status:N", title="Status"),
                 alt.Tooltip("source:N", title="Source")],
    ).properties(title=title, height=height)


def comparison_chart(frame: pd.DataFrame, *, title: str, y_title: str, unit: str, height: int = 300) -> alt.Chart:
    """One metric for several scenarios (two to four), each in its own colour, dash and point shape.
    `frame`: year, scenario, value."""
    fmt = d3_format(unit)
    scenarios = list(dict.fromkeys(frame.scenario))
    if len(scenarios) > len(SCENARIO_COLORS):
        raise ValueError(f"at most {len(SCENARIO_COLORS)} scenarios can be compared, not {len(scenarios)}")
    count = len(scenarios)
    colors, dashes, shapes = SCENARIO_COLORS[:count], SCENARIO_DASHES[:count], SCENARIO_SHAPES[:count]
    legend = _keyed_legend(colors, shapes, columns=1, labelLimit=400)
    return alt.Chart(frame).mark_line(point=alt.OverlayMarkDef(filled=True, size=POINT_SIZE, opacity=1),
                                      strokeWidth=2.5).encode(
        x=alt.X("year:O", axis=YEAR_AXIS),
        y=alt.Y("value:Q", title=y_title, axis=alt.Axis(format=fmt)),
        color=alt.Color("scenario:N", title=None, scale=alt.Scale(domain=scenarios, range=colors), legend=legend),
        strokeDash=alt.StrokeDash("scenario:N", scale=alt.Scale(domain=scenarios, range=dashes), legend=None),
        shape=alt.Shape("scenario:N", scale=alt.Scale(domain=scenarios, range=shapes), legend=None),
        tooltip=[alt.Tooltip("scenario:N", title="Scenario"), alt.Tooltip("year:O", title="Year"),
                 alt.Tooltip("value:Q", title=y_title, format=fmt)],
    ).properties(title=title, height=height)


def tornado_chart(frame: pd.DataFrame, *, title: str, x_title: str, unit: str) -> alt.LayerChart:
    """Drivers: for each parameter, the output at its low and high value. `frame`: label, basis,
    output_low, output_high, output_default."""
    fmt = d3_format(unit)
    order = frame.label.tolist()
    base = alt.Chart(frame).encode(y=alt.Y("label:N", sort=order, title=None, axis=alt.Axis(labelLimit=260)))
    tooltip = [alt.Tooltip("label:N", title="Parameter"), alt.Tooltip("basis:N", title="Basis"),
               alt.Tooltip("low:Q", title="Low value", format=",.3g"), alt.Tooltip("high:Q", title="High value", format=",.3g"),
               alt.Tooltip("output_low:Q", title="Output at low", format=fmt),
               alt.Tooltip("output_high:Q", title="Output at high", format=fmt)]
    bars = base.mark_bar(height={"band": 0.7}).encode(
        x=alt.X("output_low:Q", title=x_title, axis=alt.Axis(format=fmt)), x2="output_high:Q",
        color=alt.Color("judgment:N", title="Basis", scale=alt.Scale(domain=["judgment", "sourced or calibrated"],
                                                                      range=["#E69F00", "#0072B2"]),
                        legend=alt.Legend(orient="bottom")),
        tooltip=tooltip)
    centre = alt.Chart(frame.head(1)).mark_rule(color="#333333", strokeDash=[4, 3]).encode(x="output_default:Q")
    return alt.layer(bars, centre).properties(title=title, height=alt.Step(24))


def waterfall_chart(frame: pd.DataFrame, *, title: str) -> alt.LayerChart:
    """Revenue at risk split into parts. `frame`: step, start, end, value, kind (part or total)."""
    order = frame.step.tolist()
    bars = alt.Chart(frame).mark_bar(size=48).encode(
        x=alt.X("step:N", sort=order, title=None, axis=alt.Axis(labelAngle=0, labelLimit=200)),
        y=alt.Y("start:Q", title="Revenue at risk (USD bn)"), y2="end:Q",
        color=alt.Color("kind:N", title=None, scale=alt.Scale(domain=["Due to US controls", "Due to China's policy",
                                                                       "Interaction", "Total"],
                                                               range=["#0072B2", "#E69F00", "#999999", "#333333"]),
                        legend=None),
        tooltip=[alt.Tooltip("step:N", title="Part"), alt.Tooltip("value:Q", title="USD bn", format=",.2f")])
    labels = alt.Chart(frame).mark_text(dy=-8, fontSize=12).encode(
        x=alt.X("step:N", sort=order), y="top:Q", text=alt.Text("value:Q", format="+,.1f"))
    return alt.layer(bars, labels).transform_calculate(top="max(datum.start, datum.end)").properties(
        title=title, height=320)
