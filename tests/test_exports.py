"""Exports: stamped PNG/SVG/CSV and the briefing pack (PPTX checked with python-pptx, PDF structure)."""
import io
import json
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pandas as pd
import pytest
from PIL import Image
from pptx import Presentation

from chokepoint import MODEL_VERSION, briefing, exports
from chokepoint.params import Scenario
from chokepoint.ui import resources

ROOT = Path(__file__).resolve().parent.parent

@pytest.fixture(scope="module")
def setup():
    inputs = resources.model_inputs()
    steps = [briefing.Step(name, Scenario.create(ec, sr, inputs=inputs, name=name), f"http://host/?scenario=step{i}",
                           notes=f"Notes for {name}")
             for i, (name, (ec, sr, _)) in enumerate(list(inputs.presets.items())[:3])]
    reference = Scenario.create(25, 90, inputs=inputs, name="As announced for 2026")
    return inputs, steps, reference


def spec_for(kind, scenario, reference):
    return resources.chart_spec(kind, scenario.key(), reference.key(), 2028)


def test_png_is_valid_and_carries_the_stamp(setup):
    inputs, steps, reference = setup
    stamp = briefing.chart_stamp("headline_shares", steps[0], inputs, 2028)
    png = exports.chart_png(spec_for("headline_shares", steps[0].scenario, reference), stamp)
    image = Image.open(io.BytesIO(png))
    image.verify()
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG" and image.width >= 760
    text = image.text[exports.STAMP_KEY]
    for part in (stamp.title, steps[0].scenario.label(), f"model {MODEL_VERSION}", inputs.data_version,
                 "Sources:", steps[0].link, stamp.day):
        assert part in text


def test_svg_is_valid_xml_with_the_stamp_as_visible_text(setup):
    inputs, steps, reference = setup
    stamp = briefing.chart_stamp("risk_usd", steps[1], inputs, 2028)
    svg = exports.chart_svg(spec_for("risk_usd", steps[1].scenario, reference), stamp)
    root = ET.fromstring(svg)
    visible = " ".join(" ".join(t.itertext()) for t in root.iter() if t.tag.endswith("}text") or t.tag == "text")
    assert stamp.title in visible and steps[1].link in visible and f"Chokepoint model {MODEL_VERSION}" in visible
    assert exports.STAMP_KEY in svg


def test_csv_carries_the_stamp_and_parses(setup):
    inputs, steps, reference = setup
    stamp = briefing.scenario_stamp(steps[0], inputs)
    text = exports.stamped_csv(resources.results(steps[0].scenario.key()).tidy, stamp)
    assert text.splitlines()[0] == f'#,"{stamp.title}"' and f'#,"Link: {steps[0].link}"' in text
    frame = pd.read_csv(io.StringIO(text), comment="#")
    assert list(frame.columns) == ["scenario", "year", "metric", "entity", "value", "unit"] and len(frame) > 500


@pytest.fixture(scope="module")
def pack(setup):
    inputs, steps, reference = setup
    return briefing.build_pack("Three futures", steps, reference, 2028, inputs, resources.results,
                               resources.chart_spec, resources.table("sources"))


def test_pptx_has_title_scenarios_assumptions_sources_and_links(pack, setup):
    _, steps, _ = setup
    deck = Presentation(io.BytesIO(exports.pack_pptx(pack)))
    slides = list(deck.slides)
    assert len(slides) == 1 + len(steps) + 3

    def texts(slide):
        return " ".join(shape.text_frame.text for shape in slide.shapes if shape.has_text_frame)

    assert "Three futures" in texts(slides[0])
    for slide, step in zip(slides[1:], steps):
        body = texts(slide)
        assert step.title in body and step.link in body and "Nvidia share" in body
        assert "How sure (1,000 draws): In " in body
        assert f"model {MODEL_VERSION}" in body  # the stamp footer
        pictures = [s for s in slide.shapes if s.shape_type == 13]
        assert len(pictures) == 2 and all(len(p.image.blob) > 10_000 for p in pictures)
        assert slide.notes_slide.notes_text_frame.text == step.notes
    assert texts(slides[-3]).startswith("Assumptions") and "judgment" in texts(slides[-3])
    assert texts(slides[-2]).startswith("Sources") and re.search(r"\[F\d{3}\] ", texts(slides[-2]))
    assert all(step.link in texts(slides[-1]) for step in steps)


def test_pdf_handout_has_a_page_per_part(pack, setup):
    _, steps, _ = setup
    pdf = exports.pack_pdf(pack)
    assert pdf.startswith(b"%PDF-")
    # title, one page per scenario, then assumptions, sources and links (long lists flow onto more pages)
    assert len(re.findall(rb"/Type /Page\b", pdf)) >= 1 + len(steps) + 3
    assert b"Three futures" in pdf


# --- text that XML cannot hold (issue 14): vl-convert panics on it and the panic aborts the whole process ----

HOSTILE = "bad\uffffchar\ufffe nul\x00 vt\x0b nonchar\ufdd0 plane\U0010ffff end"

_HOSTILE_EXPORT = r'''
import io, json, sys, xml.etree.ElementTree as ET
from PIL import Image
from pptx import Presentation
from chokepoint import briefing, exports
from chokepoint.params import Scenario
from chokepoint.ui import resources

bad = json.loads(sys.argv[1])  # JSON-escaped: a command line cannot carry NUL
inputs = resources.model_inputs()
scenario = Scenario.create(65, 55, inputs=inputs, name=bad)
reference = Scenario.create(25, 90, inputs=inputs, name="As announced for 2026")
step = briefing.Step(bad, scenario, "http://host/?scenario=" + bad, notes=bad)
stamp = exports.stamp(bad, bad, bad, bad, bad)
real = resources.chart_spec("headline_shares", scenario.key(), reference.key(), 2028)
small = {"data": {"values": [{"entity": bad, "value": 1, bad: bad}]}, "mark": "bar", "title": bad,
         "description": bad, "usermeta": {bad: [bad]},
         "encoding": {"x": {"field": "entity", "title": bad}, "y": {"field": "value", "axis": {"title": bad}}}}
for spec in (real, small):
    png = exports.chart_png(spec, stamp, scale=1)
    Image.open(io.BytesIO(png)).verify()
    svg = exports.chart_svg(spec, stamp)
    ET.fromstring(svg)
    assert "\uffff" not in svg and "\ufffe" not in svg and "\x00" not in svg and "\ufdd0" not in svg
    assert "badchar" in svg
pack = briefing.build_pack(bad, [step], reference, 2028, inputs, resources.results, resources.chart_spec,
                           resources.table("sources"))
deck = Presentation(io.BytesIO(exports.pack_pptx(pack)))
assert "badchar" in " ".join(s.text_frame.text for s in deck.slides[0].shapes if s.has_text_frame)
assert exports.pack_pdf(pack).startswith(b"%PDF-")
print("exports survived")
'''


def test_xml_safe_removes_what_xml_cannot_hold_and_noncharacters():
    assert exports.xml_safe(HOSTILE) == "badchar nul vt nonchar plane end"
    kept = "tab\t line\n cr\r é 中 \ud7ff\ue000\ufffd\U00010000 \u202e"  # XML-valid, bidi controls too
    assert exports.xml_safe(kept) == kept
    assert exports.xml_safe("\ud800\U0001fffe\U0002ffff\ufdef") == ""
    tree = {"a\uffff": ["x\ufffe", ("y\x00", 1.5)], "n": None, "b": b"\x00"}
    assert exports.xml_safe_tree(tree) == {"a": ["x", ("y", 1.5)], "n": None, "b": b"\x00"}
    stamp = exports.xml_safe_tree(exports.stamp(HOSTILE, "s\uffff", "d", "src", "l\ufffe"))
    assert stamp.title == "badchar nul vt nonchar plane end" and stamp.scenario == "s" and stamp.link == "l"


def test_exports_of_hostile_text_render_and_do_not_abort_the_process():
    """PNG, SVG, PPTX and PDF of a chart whose stamp, title, labels and data hold U+FFFF, U+FFFE, NUL, a
    vertical tab and noncharacters. In a subprocess: before the fix vl-convert aborted it (SIGABRT)."""
    done = subprocess.run([sys.executable, "-c", _HOSTILE_EXPORT, json.dumps(HOSTILE)],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, f"exit {done.returncode}\n{done.stderr[-3000:]}"
    assert "exports survived" in done.stdout


# --- CSV formula injection, absolute links, Chinese in the PDF, steps that cannot be built (issue 14) --------

FORMULAS = ['=HYPERLINK("http://evil.example","Click")', "=cmd|' /C calc'!A0", "@SUM(1+1)", "+1+1", "-1+1",
            "\t=1", "\r=1"]


def test_csv_neutralises_formulas_and_keeps_the_stamp_in_one_cell(setup):
    """A comma in a scenario's name split the unquoted stamp line, so a formula reached its own cell."""
    import csv as csv_module
    inputs, steps, _ = setup
    name = 'Hawks, =HYPERLINK("http://evil.example"),@SUM(1) "quoted"'
    stamp = exports.stamp(f"Results: {name}", name, inputs.data_version, "src, =1+1", f"http://host/?x=1,=2")
    frame = pd.DataFrame({"entity": FORMULAS + ["Nvidia"], "value": [-1.5] * len(FORMULAS) + [2.0],
                          "=col": ["a"] * (len(FORMULAS) + 1)})
    text = exports.stamped_csv(frame, stamp)
    rows = list(csv_module.reader(io.StringIO(text, newline="")))
    for row in rows:
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")) or _is_number(cell), (cell, row)
    stamp_rows = rows[:len(stamp.lines())]
    assert all(len(row) == 2 and row[0] == "#" for row in stamp_rows)
    assert stamp_rows[1][1] == f"Scenario: {name}"  # the whole line, commas and quotes in one cell
    parsed = pd.read_csv(io.StringIO(text), comment="#")
    assert list(parsed.columns) == ["entity", "value", "'=col"]
    assert list(parsed.entity) == ["'" + f.replace("\r", "\n") for f in FORMULAS] + ["Nvidia"]
    assert list(parsed.value) == [-1.5] * len(FORMULAS) + [2.0]  # numbers stay numbers


def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def _pdf_text(data: bytes) -> str:
    from pypdf import PdfReader
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


CJK_FONT = exports.PDF_FALLBACK_FONTS[0]


@pytest.fixture(scope="module")
def hostile_pack(setup):
    inputs, steps, reference = setup
    name = "华为 昇腾 ☺ 🚀 Détente"
    step = briefing.Step(name, steps[0].scenario, "http://host:8501/?scenario=abcdefghij", notes=f"笔记 {name}")
    return briefing.build_pack(f"简报 {name}", [step], reference, 2028, inputs, resources.results,
                               resources.chart_spec, resources.table("sources"),
                               left_out=["Step 2, “旧”: no saved scenario has the id abcdefghij."])


@pytest.mark.skipif(not Path(CJK_FONT).is_file(), reason="Debian's fonts-droid-fallback is not installed (make fonts)")
def test_pdf_prints_chinese(hostile_pack):
    """A Chinese-market tool must print 华为: the handout turned it into '?'."""
    text = _pdf_text(exports.pack_pdf(hostile_pack))
    for part in ("简报 华为 昇腾", "笔记 华为", "Détente", "旧", "Not included", "http://host:8501/?scenario="):
        assert part in text, part
    ours = [line for line in text.splitlines() if any(w in line for w in ("华为", "Détente", "旧", "☺"))]
    assert len(ours) >= 4 and not any("?" in line.replace("/?scenario", "") for line in ours), ours
    assert "<U+534E>" not in text


def test_pdf_without_unicode_fonts_writes_code_points_and_says_so(hostile_pack, monkeypatch):
    monkeypatch.setattr(exports, "PDF_FONT", ("/nonexistent/DejaVuSans.ttf", "/nonexistent/DejaVuSans-Bold.ttf"))
    text = _pdf_text(exports.pack_pdf(hostile_pack))
    assert "<U+534E><U+4E3A>" in text and "Détente" in text  # 华为, and Latin-1 as it is
    assert "cannot be drawn with the fonts installed" in " ".join(text.split())
    ours = [line for line in text.splitlines() if "<U+534E>" in line or "Détente" in line]
    assert len(ours) >= 3 and not any("?" in line.replace("/?scenario", "") for line in ours), ours


def test_a_pack_names_the_steps_it_left_out(hostile_pack):
    deck = Presentation(io.BytesIO(exports.pack_pptx(hostile_pack)))
    first = " ".join(s.text_frame.text for s in deck.slides[0].shapes if s.has_text_frame)
    assert "Not included" in first and "no saved scenario has the id abcdefghij" in first
