"""Exports for slide decks and memos: stamped PNG/SVG charts, CSV data, and the briefing pack
(PPTX and PDF). Offline: charts render through vl-convert, text uses built-in fonts. No Streamlit.

Every file carries the stamp: title, the scenario in one line, model and data versions, the sources
line, the date and the scenario's link.
"""
from __future__ import annotations

import dataclasses
import io
import json
import re
from dataclasses import dataclass, field
from datetime import date

import pandas as pd
import vl_convert as vlc
from PIL import Image, PngImagePlugin

from chokepoint import MODEL_VERSION

STAMP_KEY = "Chokepoint stamp"
EXPORT_WIDTH = 760

# Characters that may not appear in an XML 1.0 document (outside #x9 | #xA | #xD | [#x20-#xD7FF] |
# [#xE000-#xFFFD] | [#x10000-#x10FFFF]), plus the Unicode noncharacters (U+FDD0-U+FDEF and U+xFFFE/U+xFFFF
# in every plane). vl-convert panics on the XML-invalid ones (U+FFFF, U+FFFE, NUL, vertical tab: a Rust
# panic that aborts the whole server process, not an exception), python-pptx (lxml) raises on them.
_NOT_XML_SAFE = re.compile(
    "[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]|[\ufdd0-\ufdef]|["
    + "".join(f"{chr(plane << 16 | 0xFFFE)}{chr(plane << 16 | 0xFFFF)}" for plane in range(1, 17)) + "]")


def xml_safe(text: str) -> str:
    """`text` without the characters XML 1.0 forbids and without Unicode noncharacters."""
    return _NOT_XML_SAFE.sub("", text)


def xml_safe_tree(value):
    """A copy of `value` with every string in it XML-safe: dict keys and values, list and tuple items, the
    text fields of dataclasses (a Stamp, a Pack and its slides); anything else (numbers, bytes) as is."""
    if isinstance(value, str):
        return xml_safe(value)
    if isinstance(value, dict):
        return {xml_safe_tree(key): xml_safe_tree(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(xml_safe_tree(item) for item in value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.replace(value, **{f.name: xml_safe_tree(getattr(value, f.name))
                                             for f in dataclasses.fields(value) if f.init})
    return value


@dataclass(frozen=True)
class Stamp:
    title: str
    scenario: str        # the scenario in one line: levers and preset/saved name
    model_version: str
    data_version: str
    sources: str         # the sources line
    link: str
    day: str = field(default_factory=lambda: date.today().isoformat())

    def lines(self) -> list[str]:
        return [self.title, f"Scenario: {self.scenario}",
                f"Chokepoint model {self.model_version}, data {self.data_version} · {self.day}",
                f"Sources: {self.sources}", f"Link: {self.link}"]

    def text(self) -> str:
        return "\n".join(self.lines())


def stamp(title: str, scenario_label: str, data_version: str, sources: str, link: str,
          model_version: str = MODEL_VERSION) -> Stamp:
    return Stamp(title, scenario_label, model_version, data_version, sources, link)


def stamped_spec(spec: dict, stamp_: Stamp) -> dict:
    """A chart spec for export: fixed width, white background, the stamp as title and subtitle. Every string
    in it is XML-safe (see `xml_safe`): this is what goes to vl-convert, which must never see anything else."""
    out = xml_safe_tree(spec)
    stamp_ = xml_safe_tree(stamp_)
    out["title"] = {"text": stamp_.title, "subtitle": stamp_.lines()[1:], "anchor": "start", "fontSize": 15,
                    "subtitleFontSize": 10, "subtitleColor": "#444444", "offset": 12}
    out["background"] = "white"
    out["width"] = EXPORT_WIDTH
    out["autosize"] = {"type": "pad", "contains": "padding"}
    out.setdefault("config", {})["font"] = "Liberation Sans, Arial, sans-serif"
    out["usermeta"] = {STAMP_KEY: stamp_.text()}
    return out


def chart_png(spec: dict, stamp_: Stamp, scale: float = 2.0) -> bytes:
    """PNG of a chart with the stamp drawn on it and kept in the file's text metadata."""
    stamp_ = xml_safe_tree(stamp_)
    raw = vlc.vegalite_to_png(stamped_spec(spec, stamp_), scale=scale)
    image = Image.open(io.BytesIO(raw)).convert("RGB")  # opaque: smaller, and PDF embedding needs no alpha mask
    info = PngImagePlugin.PngInfo()
    info.add_itxt("Title", stamp_.title)
    info.add_itxt("Description", stamp_.text())
    info.add_itxt(STAMP_KEY, stamp_.text())
    out = io.BytesIO()
    image.save(out, format="PNG", pnginfo=info)
    return out.getvalue()


def chart_svg(spec: dict, stamp_: Stamp) -> str:
    """SVG of a chart; the stamp is visible text and also in the file's <metadata>."""
    stamp_ = xml_safe_tree(stamp_)
    svg = vlc.vegalite_to_svg(stamped_spec(spec, stamp_))
    metadata = ("<metadata>" + json.dumps({STAMP_KEY: stamp_.text()}).replace("&", "&amp;").replace("<", "&lt;")
                + "</metadata>")
    end = svg.find(">", svg.find("<svg")) + 1
    return svg[:end] + metadata + svg[end:]


def stamped_csv(frame: pd.DataFrame, stamp_: Stamp) -> str:
    """CSV with the stamp as leading '# ' comment lines (pandas: read_csv(..., comment='#'))."""
    header = "".join(f"# {line}\n" for line in stamp_.lines())
    return header + frame.to_csv(index=False, float_format="%.6g")


# --- briefing pack ------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class PackSlide:
    """One scenario of a briefing: what the pack shows for it."""
    title: str
    scenario: str                       # one-line scenario label
    link: str
    numbers: list[tuple[str, str, str]]  # (label, value, change against reference)
    charts: list[bytes]                 # stamped PNGs
    notes: str = ""
    takeaways: list[str] = field(default_factory=list)
    odds: list[str] = field(default_factory=list)  # "In 9 of 10 draws ..." sentences


@dataclass(frozen=True)
class Pack:
    title: str
    subtitle: str
    slides: list[PackSlide]
    assumptions: list[tuple[str, str]]  # (input, value and basis)
    sources: list[str]
    stamp: Stamp


def pack_pptx(pack: Pack) -> bytes:
    """The briefing pack as PowerPoint: title, one slide per scenario, assumptions, sources, links."""
    from pptx import Presentation
    from pptx.util import Inches, Pt

    pack = xml_safe_tree(pack)  # lxml refuses text that XML cannot hold
    deck = Presentation()
    deck.slide_width, deck.slide_height = Inches(13.333), Inches(7.5)
    blank = deck.slide_layouts[6]

    def text_box(slide, left, top, width, height, lines, size=14, bold_first=False):
        frame = slide.shapes.add_textbox(Inches(left), Inches(top), Inches(width), Inches(height)).text_frame
        frame.word_wrap = True
        for i, line in enumerate(lines):
            paragraph = frame.paragraphs[0] if i == 0 else frame.add_paragraph()
            paragraph.text = line
            paragraph.font.size = Pt(size)
            paragraph.font.bold = bold_first and i == 0
        return frame

    def footer(slide):
        text_box(slide, 0.4, 6.75, 12.5, 0.7, pack.stamp.lines()[1:4], size=8)

    title = deck.slides.add_slide(deck.slide_layouts[0])
    title.shapes.title.text = pack.title
    title.placeholders[1].text = pack.subtitle + "\n" + pack.stamp.lines()[2]

    for item in pack.slides:
        slide = deck.slides.add_slide(blank)
        text_box(slide, 0.4, 0.25, 12.5, 0.8, [item.title], size=28, bold_first=True)
        text_box(slide, 0.4, 0.95, 12.5, 0.4, [f"Scenario: {item.scenario}"], size=12)
        numbers = [f"{label}: {value}" + (f" ({change})" if change else "") for label, value, change in item.numbers]
        text_box(slide, 0.4, 1.45, 3.6, 4.8, ["Key numbers", *numbers, "", *item.takeaways[:2]], size=13,
                 bold_first=True)
        if item.odds:
            text_box(slide, 4.1, 5.2, 8.8, 1.1, ["How sure (1,000 draws): " + " ".join(item.odds)], size=10)
        width = 4.5 if len(item.charts) > 1 else 8.8
        for i, png in enumerate(item.charts[:2]):
            slide.shapes.add_picture(io.BytesIO(png), Inches(4.1 + i * (width + 0.1)), Inches(1.45), width=Inches(width))
        text_box(slide, 0.4, 6.35, 12.5, 0.4, [f"Link: {item.link}"], size=9)
        footer(slide)
        slide.notes_slide.notes_text_frame.text = item.notes or ""

    slide = deck.slides.add_slide(blank)
    text_box(slide, 0.4, 0.25, 12.5, 0.8, ["Assumptions"], size=28, bold_first=True)
    text_box(slide, 0.4, 1.1, 12.5, 5.5, [f"{name}: {value}" for name, value in pack.assumptions], size=11)
    footer(slide)

    slide = deck.slides.add_slide(blank)
    text_box(slide, 0.4, 0.25, 12.5, 0.8, ["Sources"], size=28, bold_first=True)
    text_box(slide, 0.4, 1.1, 12.5, 5.5, pack.sources[:40], size=9)
    footer(slide)

    slide = deck.slides.add_slide(blank)
    text_box(slide, 0.4, 0.25, 12.5, 0.8, ["Links"], size=28, bold_first=True)
    text_box(slide, 0.4, 1.1, 12.5, 5.5, [f"{item.title}: {item.link}" for item in pack.slides], size=14)
    footer(slide)

    out = io.BytesIO()
    deck.save(out)
    return out.getvalue()


_LATIN1 = str.maketrans({"—": "-", "–": "-", "→": "->", "·": "-", "“": '"', "”": '"', "’": "'", "‘": "'",
                         "≤": "<=", "≥": ">=", "×": "x", "…": "...", "−": "-", "¥": "CNY "})


def _latin1(text: str) -> str:
    """PDF core fonts cover Latin-1 only; map the punctuation we use and replace anything else."""
    return text.translate(_LATIN1).encode("latin-1", "replace").decode("latin-1")


def pack_pdf(pack: Pack) -> bytes:
    """The same briefing as a PDF handout (A4 landscape, built-in Helvetica: no font files needed)."""
    from fpdf import FPDF

    pack = xml_safe_tree(pack)
    pdf = FPDF(orientation="L", unit="mm", format="A4")
    pdf.set_auto_page_break(auto=True, margin=14)
    pdf.set_title(_latin1(pack.title))
    pdf.set_subject(_latin1(pack.stamp.text()))
    pdf.set_creator("Chokepoint")

    def footer_text():
        pdf.set_y(-13)
        pdf.set_font("Helvetica", size=7)
        pdf.multi_cell(0, 3, _latin1(" | ".join(pack.stamp.lines()[1:4])), new_x="LMARGIN", new_y="NEXT")

    def heading(text, size=20):
        pdf.set_font("Helvetica", style="B", size=size)
        pdf.multi_cell(0, size * 0.5, _latin1(text), new_x="LMARGIN", new_y="NEXT")
        pdf.ln(2)

    def body(lines, size=10):
        pdf.set_font("Helvetica", size=size)
        for line in lines:
            pdf.multi_cell(0, size * 0.5, _latin1(line), new_x="LMARGIN", new_y="NEXT")

    pdf.add_page()
    pdf.ln(40)
    heading(pack.title, 28)
    body([pack.subtitle, "", *pack.stamp.lines()[2:]], 12)
    footer_text()
    for item in pack.slides:
        pdf.add_page()
        heading(item.title)
        body([f"Scenario: {item.scenario}"], 10)
        pdf.ln(2)
        top = pdf.get_y()
        pdf.set_font("Helvetica", size=10)
        pdf.set_xy(10, top)
        pdf.multi_cell(70, 5, _latin1("\n".join(
            ["Key numbers"] + [f"{label}: {value}" + (f" ({change})" if change else "")
                               for label, value, change in item.numbers] + [""] + item.takeaways[:2])),
                       new_x="LMARGIN", new_y="NEXT")
        for i, png in enumerate(item.charts[:2]):
            pdf.image(io.BytesIO(png), x=85 + i * 102, y=top, w=100)
        pdf.set_xy(10, 170)
        body([("How sure (1,000 draws): " + " ".join(item.odds)) if item.odds else "",
              f"Notes: {item.notes}" if item.notes else "", f"Link: {item.link}"], 8)
        footer_text()
    pdf.add_page()
    heading("Assumptions")
    body([f"{name}: {value}" for name, value in pack.assumptions], 9)
    pdf.add_page()
    heading("Sources")
    body(pack.sources[:60], 8)
    pdf.add_page()
    heading("Links")
    body([f"{item.title}: {item.link}" for item in pack.slides], 11)
    return bytes(pdf.output())
