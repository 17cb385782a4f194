"""Series colours stay apart for readers with red-green colour blindness (WCAG 1.4.1 asks for more than colour;
the charts also give each series a point shape, but colour is what most readers go by).

For every chart the app draws, the colours of the series drawn together (its colour scale's range, read from the
Vega-Lite spec) are simulated as seen with deuteranopia and protanopia, and every pair must differ by at least
MIN_DELTA_E (CIEDE2000), and with normal vision too. One chart per kind of scale is rendered to PNG (the app's
own exports.chart_png, vl-convert) to check the colours the picture really draws are the ones checked.

Simulation: Machado, Oliveira & Fernandes (2009), "A Physiologically-based Model for Simulation of Color Vision
Deficiency", IEEE TVCG 15(6), matrices for severity 1.0 (full dichromacy) applied to linear sRGB. Difference:
CIEDE2000 (Sharma, Wu & Dalal 2005) in CIELAB with the D65 white.

Why 10: a CIEDE2000 difference of about 1 is just noticeable for large patches side by side. Here the marks are
2.5 px lines and 7 px points, often far apart, and a series is matched to its legend entry from memory; colour
differences for marks that small must be several times larger to be told apart reliably (Stone, Szafir & Setlur
2014, "An engineering model for color difference as a function of size"). 10 is a margin of several such steps,
and it is what the Okabe-Ito palette's own pairs mostly keep under both simulations. Of the old colours, the pairs
that failed were 1.2-9.6 apart (e.g. the supply chart's output and its wafer limit: 1.2 under deuteranopia)."""
import io
import itertools

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from chokepoint import briefing, catalogue, charts, exports, views
from chokepoint.engine import run_scenario
from chokepoint.params import Scenario
from chokepoint.ui import resources

MIN_DELTA_E = 10.0
YEAR = 2028

# Machado et al. (2009), Table 1, severity 1.0; rows give the simulated linear R, G, B.
MACHADO = {
    "protanopia": np.array([[0.152286, 1.052583, -0.204868],
                            [0.114503, 0.786281, 0.099216],
                            [-0.003882, -0.048116, 1.051998]]),
    "deuteranopia": np.array([[0.367322, 0.860646, -0.227968],
                              [0.280085, 0.672501, 0.047413],
                              [-0.011820, 0.042940, 0.968881]]),
}
VISIONS = {"normal vision": np.eye(3), **MACHADO}


def hex_to_rgb(color: str) -> np.ndarray:
    color = color.lstrip("#")
    return np.array([int(color[i:i + 2], 16) for i in (0, 2, 4)]) / 255.0


def linear(rgb: np.ndarray) -> np.ndarray:
    return np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)


def lab(linear_rgb: np.ndarray) -> np.ndarray:
    """CIELAB (D65) of linear sRGB values (..., 3)."""
    to_xyz = np.array([[0.4124564, 0.3575761, 0.1804375],
                       [0.2126729, 0.7151522, 0.0721750],
                       [0.0193339, 0.1191920, 0.9503041]])
    xyz = linear_rgb @ to_xyz.T / np.array([0.95047, 1.0, 1.08883])
    f = np.where(xyz > (6 / 29) ** 3, np.cbrt(xyz), xyz / (3 * (6 / 29) ** 2) + 4 / 29)
    return np.stack([116 * f[..., 1] - 16, 500 * (f[..., 0] - f[..., 1]), 200 * (f[..., 1] - f[..., 2])], axis=-1)


def seen(rgb: np.ndarray, vision: str) -> np.ndarray:
    """CIELAB of an sRGB colour (0-1) as seen with `vision`."""
    return lab(np.clip(linear(rgb) @ VISIONS[vision].T, 0.0, 1.0))


def ciede2000(lab1, lab2):
    """CIEDE2000 colour difference (kL = kC = kH = 1), after Sharma, Wu & Dalal (2005); CIELAB arrays (..., 3)
    broadcast against each other (a float for two colours)."""
    lab1, lab2 = np.asarray(lab1, dtype=float), np.asarray(lab2, dtype=float)
    (l1, a1, b1), (l2, a2, b2) = np.moveaxis(lab1, -1, 0), np.moveaxis(lab2, -1, 0)
    c_bar = (np.hypot(a1, b1) + np.hypot(a2, b2)) / 2
    g = 0.5 * (1 - np.sqrt(c_bar ** 7 / (c_bar ** 7 + 25 ** 7)))
    a1p, a2p = (1 + g) * a1, (1 + g) * a2
    c1p, c2p = np.hypot(a1p, b1), np.hypot(a2p, b2)
    h1p, h2p = np.degrees(np.arctan2(b1, a1p)) % 360, np.degrees(np.arctan2(b2, a2p)) % 360
    dl, dc = l2 - l1, c2p - c1p
    neutral = c1p * c2p == 0
    dh = h2p - h1p
    dh = np.where(neutral, 0.0, np.where(dh > 180, dh - 360, np.where(dh < -180, dh + 360, dh)))
    d_hue = 2 * np.sqrt(c1p * c2p) * np.sin(np.radians(dh / 2))
    l_bar, cp_bar, h_sum = (l1 + l2) / 2, (c1p + c2p) / 2, h1p + h2p
    h_bar = np.where(neutral, h_sum, np.where(np.abs(h1p - h2p) <= 180, h_sum / 2,
                                              np.where(h_sum < 360, (h_sum + 360) / 2, (h_sum - 360) / 2)))
    t = (1 - 0.17 * np.cos(np.radians(h_bar - 30)) + 0.24 * np.cos(np.radians(2 * h_bar))
         + 0.32 * np.cos(np.radians(3 * h_bar + 6)) - 0.20 * np.cos(np.radians(4 * h_bar - 63)))
    s_l = 1 + 0.015 * (l_bar - 50) ** 2 / np.sqrt(20 + (l_bar - 50) ** 2)
    s_c, s_h = 1 + 0.045 * cp_bar, 1 + 0.015 * cp_bar * t
    r_t = (-np.sin(np.radians(60 * np.exp(-(((h_bar - 275) / 25) ** 2))))
           * 2 * np.sqrt(cp_bar ** 7 / (cp_bar ** 7 + 25 ** 7)))
    result = np.sqrt((dl / s_l) ** 2 + (dc / s_c) ** 2 + (d_hue / s_h) ** 2 + r_t * (dc / s_c) * (d_hue / s_h))
    return float(result) if result.ndim == 0 else result


def too_close(colors: dict[str, str]) -> list[str]:
    """Every pair of series closer than MIN_DELTA_E under some vision, in words."""
    found = []
    for vision in VISIONS:
        labs = {name: seen(hex_to_rgb(color), vision) for name, color in colors.items()}
        for a, b in itertools.combinations(colors, 2):
            difference = ciede2000(labs[a], labs[b])
            if difference < MIN_DELTA_E:
                found.append(f"{a} {colors[a]} / {b} {colors[b]}: {difference:.1f} ({vision})")
    return found


def series_colors(spec: dict) -> dict[str, str]:
    """The series colours a chart draws together: domain value -> colour of every colour scale in the spec."""
    found: dict[str, str] = {}

    def walk(node):
        if isinstance(node, dict):
            for channel in ("color", "fill", "stroke"):
                encoding = node.get("encoding", {}).get(channel)
                if isinstance(encoding, dict) and "field" in encoding:
                    scale = encoding.get("scale") or {}
                    assert "range" in scale and "domain" in scale, (
                        f"{channel} by {encoding['field']} has no explicit domain and range (a scheme cannot be "
                        "checked here, and Streamlit's theme would replace it)")
                    for value, color in zip(scale["domain"], scale["range"]):
                        assert found.setdefault(value, color) == color, f"{value} drawn in two colours"
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(spec)
    return found


# ------------------------------------------------------------------------------------------------ the method


@pytest.mark.parametrize("lab1,lab2,expected", [  # Sharma, Wu & Dalal (2005), Table 1: pairs 1, 7, 17, 25, 34
    ((50.0, 2.6772, -79.7751), (50.0, 0.0, -82.7485), 2.0425),
    ((50.0, 0.0, 0.0), (50.0, -1.0, 2.0), 2.3669),
    ((50.0, 2.5, 0.0), (73.0, 25.0, -18.0), 27.1492),
    ((60.2574, -34.0099, 36.2677), (60.4626, -34.1751, 39.4387), 1.2644),
    ((22.7233, 20.0904, -46.6940), (23.0331, 14.9730, -42.5619), 2.0373),
])
def test_ciede2000_matches_the_published_test_pairs(lab1, lab2, expected):
    assert ciede2000(np.array(lab1), np.array(lab2)) == pytest.approx(expected, abs=1e-4)


def test_the_simulation_merges_what_dichromats_confuse_and_keeps_what_they_do_not():
    red, green, blue, yellow = (hex_to_rgb(c) for c in ("#FF0000", "#00FF00", "#0000FF", "#FFFF00"))
    # The matrices keep white white and leave blue/yellow (which both kinds of dichromat see) far apart.
    for vision in MACHADO:
        assert np.allclose(MACHADO[vision].sum(axis=1), 1.0, atol=1e-3)
        assert ciede2000(seen(blue, vision), seen(yellow, vision)) > 50
    # Pure red and green lose their hue difference (both become yellowish: b* > 0, a* near 0).
    for vision in MACHADO:
        for color in (red, green):
            _, a, b = seen(color, vision)
            assert b > 20 and abs(a) < b
    # The pair the old palette lost: Nvidia's green against the grey market's mid grey under deuteranopia.
    assert too_close({"Nvidia": "#009E73", "Grey market": "#7F7F7F"}) == [
        "Nvidia #009E73 / Grey market #7F7F7F: 8.2 (deuteranopia)"]


# ------------------------------------------------------------------------------------------------ the charts


@pytest.fixture(scope="module")
def statics(database):
    return catalogue.Statics(database)


@pytest.fixture(scope="module")
def catalogue_specs(statics, inputs):
    run = views.Results(run_scenario(Scenario.create(80, 60, inputs=inputs), inputs).rows())
    reference = views.Results(run_scenario(Scenario.create(inputs=inputs), inputs).rows())
    return {name: catalogue.build(name, kind.rows(run, reference, YEAR), statics, YEAR)
            for name, kind in catalogue.CATALOGUE.items()}


def comparison_spec(inputs, count=4):
    labels = [f"Scenario {i}" for i in range(1, count + 1)]
    runs = [views.Results(run_scenario(Scenario.create(ec, sr, inputs=inputs), inputs).rows())
            for ec, sr in ((20, 30), (50, 60), (80, 90), (100, 100))[:count]]
    metric, entity, title, unit = views.COMPARED[0]
    frame = pd.DataFrame(views.comparison_records(labels, runs, metric, entity))
    return catalogue.table_spec("comparison", frame, title_args={"what": title}, unit=unit)


def table_specs(inputs) -> dict[str, dict]:
    """Every chart built from a table, with rows enough to show each of its colours."""
    tornado = pd.DataFrame({"label": ["a", "b"], "basis": ["judgment", "sourced"], "judgment": [
        "judgment", "sourced or calibrated"], "low": [0.1, 0.2], "high": [0.3, 0.4], "output_low": [0.2, 0.3],
        "output_high": [0.5, 0.6], "output_default": [0.4, 0.4]})
    waterfall = pd.DataFrame([{"step": step, "start": 0.0, "end": 1.0, "value": 1.0, "kind": kind}
                              for step, kind in (("US", "Due to US controls"), ("China", "Due to China's policy"),
                                                 ("Both", "Interaction"), ("Total", "Total"))])
    return {
        "comparison (4 scenarios)": comparison_spec(inputs),
        "tornado": catalogue.table_spec("tornado", tornado, title_args={"output": "x", "year": YEAR}, unit="fraction",
                                        output="x"),
        "waterfall": catalogue.table_spec("waterfall", waterfall, title_args={"company": "Nvidia", "year": YEAR}),
        "reported_share": resources.reported_china_share()[0],
    }


def test_every_chart_kind_is_checked(catalogue_specs):
    assert set(catalogue_specs) == set(catalogue.CATALOGUE)
    assert set(catalogue.TABLE_CHARTS) == {"comparison", "tornado", "waterfall", "reported_share"}


@pytest.mark.parametrize("name", sorted(catalogue.CATALOGUE))
def test_a_catalogue_chart_keeps_its_series_apart_with_colour_blindness(name, catalogue_specs):
    colors = series_colors(catalogue_specs[name])
    assert len(colors) >= 2
    assert too_close(colors) == []


def test_charts_drawn_from_a_table_keep_their_series_apart_with_colour_blindness(inputs):
    for name, spec in table_specs(inputs).items():
        colors = series_colors(spec)
        assert len(colors) >= 2, name
        assert too_close(colors) == [], name


def test_the_entity_colours_of_one_chart_family_are_apart_whichever_are_drawn():
    """A chart draws any subset of these (e.g. the filings chart: whichever firms reported): check the full sets."""
    market = ["Nvidia", "AMD", "Huawei", "Cambricon", "Other domestic", "Grey market", "Domestic (all)"]
    firms = ["Nvidia", "AMD", "Intel", "Qualcomm", "Broadcom", "Micron", "Texas Instruments", "Applied Materials",
             "Lam Research", "KLA", "ASML", "Tokyo Electron"]
    for family in (market, firms):
        assert too_close({name: charts.ENTITY_COLORS[name] for name in family}) == []
        assert len({charts.ENTITY_SHAPES[name] for name in family}) == len(family), "two series share a shape"


def _drawn_colour(colours: np.ndarray, counts: np.ndarray, color: str) -> tuple[np.ndarray, int]:
    """Of the image's colours drawn on at least 20 pixels, the nearest to `color` (CIEDE2000, normal vision),
    and its pixel count."""
    frequent = counts >= 20
    differences = ciede2000(seen(colours[frequent] / 255.0, "normal vision"), seen(hex_to_rgb(color), "normal vision"))
    nearest = int(np.argmin(differences))
    return colours[frequent][nearest], int(counts[frequent][nearest])


@pytest.mark.parametrize("which", ["risk_over_time", "supply", "comparison"])
def test_the_png_draws_the_checked_colours_and_they_stay_apart(which, catalogue_specs, inputs):
    """Rendered as the app exports it: each series' colour is in the picture (its lines, points and legend
    symbol: at least 20 pixels of exactly one colour within 1 of the spec's), and the colours the picture holds
    stay apart when the whole picture is seen with deuteranopia and protanopia."""
    spec = comparison_spec(inputs) if which == "comparison" else catalogue_specs[which]
    stamp = exports.stamp("Palette check", "test", inputs.data_version, "test", "http://host/")
    pixels = np.asarray(Image.open(io.BytesIO(exports.chart_png(spec, stamp, scale=2.0))).convert("RGB"))
    packed = pixels.reshape(-1, 3).astype(np.int64) @ np.array([1 << 16, 1 << 8, 1])
    values, counts = np.unique(packed, return_counts=True)
    colours = np.stack([values >> 16, (values >> 8) & 255, values & 255], axis=-1)
    drawn = {}
    for name, color in series_colors(spec).items():
        nearest, count = _drawn_colour(colours, counts, color)
        difference = ciede2000(seen(nearest / 255.0, "normal vision"), seen(hex_to_rgb(color), "normal vision"))
        assert difference < 1.0 and count >= 20, f"{name}: {color} not drawn (nearest {nearest}, {count} px)"
        drawn[name] = "#{:02X}{:02X}{:02X}".format(*nearest)
    # the simulation applied to the picture's own pixels, as the reader would see them
    for vision in MACHADO:
        series_labs = {}
        for name, color in drawn.items():
            mask = packed == int(color[1:], 16)
            simulated = lab(np.clip(linear(pixels.reshape(-1, 3)[mask] / 255.0) @ VISIONS[vision].T, 0.0, 1.0))
            series_labs[name] = simulated.mean(axis=0)
        for a, b in itertools.combinations(series_labs, 2):
            assert ciede2000(series_labs[a], series_labs[b]) >= MIN_DELTA_E, (which, vision, a, b)
