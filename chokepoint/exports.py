"""Exports for slide decks and memos: stamped PNG/SVG charts, CSV data, and the briefing pack
(PPTX and PDF). Offline: charts render through vl-convert, the PDF uses the machine's Unicode fonts (DejaVu
Sans, with Debian's fonts-droid-fallback for Chinese, Japanese and Korean and fonts-symbola for emoji; `make`
installs them) or, without them, PDF's built-in Helvetica. No Streamlit.

Every file carries the stamp: title, the scenario in one line, model and data versions, the sources
line, the date and the scenario's link (absolute: the app passes its own address).
User text is made safe for each format (chokepoint/safetext.py): XML-safe everywhere, formula-proof in CSV.
"""
from __future__ import annotations

import csv
import dataclasses
import functools
import io
import json
import os
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pandas as pd
import vl_convert as vlc
from PIL import Image, PngImagePlugin

from chokepoint import MODEL_VERSION
from chokepoint.safetext import csv_cell

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


def _stamp_line(line: str) -> str:
    """One stamp line as a CSV record `#,"text"`: pandas skips it (read_csv(..., comment="#")), a spreadsheet
    shows "#" and the whole line in one quoted cell, whatever commas or quotes a scenario's name holds."""
    out = io.StringIO()
    csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\n").writerow([csv_cell(line)])
    return "#," + out.getvalue()


def stamped_csv(frame: pd.DataFrame, stamp_: Stamp) -> str:
    """CSV with the stamp as leading comment lines (see `_stamp_line`; pandas: read_csv(..., comment='#')).
    No text cell or column name can start a formula: the OWASP rule (`safetext.csv_cell`) is applied to both."""
    frame = frame.rename(columns=lambda name: csv_cell(str(name)))
    for column in frame.columns:
        if not (pd.api.types.is_numeric_dtype(frame[column]) or pd.api.types.is_bool_dtype(frame[column])):
            # a carriage return inside a cell, unquoted by the writer, would end the row in a spreadsheet
            frame[column] = frame[column].map(lambda v: csv_cell(v).replace("\r\n", "\n").replace("\r", "\n")
                                              if isinstance(v, str) else v)
    return "".join(_stamp_line(line) for line in stamp_.lines()) + frame.to_csv(index=False, float_format="%.6g")


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
    left_out: list[str] = field(default_factory=list)  # steps that could not be built, each with the reason

    def left_out_lines(self) -> list[str]:
        if not self.left_out:
            return []
        return ["Not included (open Briefing mode to fix the deck):", *self.left_out]


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
    title.placeholders[1].text = "\n".join([pack.subtitle, pack.stamp.lines()[2], *pack.left_out_lines()])

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
    text_box(slide, 0.4, 1.1, 12.5, 5.5, [f"{item.title}: {item.link}" for item in pack.slides]
             + ([""] + pack.left_out_lines() if pack.left_out else []), size=14)
    footer(slide)

    out = io.BytesIO()
    deck.save(out)
    return out.getvalue()


_LATIN1 = str.maketrans({"—": "-", "–": "-", "→": "->", "·": "-", "“": '"', "”": '"', "’": "'", "‘": "'",
                         "≤": "<=", "≥": ">=", "×": "x", "…": "...", "−": "-", "¥": "CNY "})

# Unicode fonts for the PDF handout (Debian paths; `make fonts` installs the fallbacks). Extra TrueType files can
# be named in CHOKEPOINT_PDF_FONTS (separated by ":"); they are tried after these.
PDF_FONT = ("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",              # fonts-dejavu-core
            "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf")
PDF_FALLBACK_FONTS = (
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",             # fonts-droid-fallback: 华为, 日本, 한국
    "/usr/share/fonts-droid-fallback/truetype/DroidSansFallback.ttf",
    "/usr/share/fonts/truetype/ancient-scripts/Symbola_hint.ttf",            # fonts-symbola: emoji, symbols
)
MISSING_FONT_NOTE = ("Some characters cannot be drawn with the fonts installed on the server that made this file; "
                     "each is written as its code point, e.g. <U+534E>. (Server: `make fonts` installs Debian's "
                     "fonts-droid-fallback for Chinese, Japanese and Korean and fonts-symbola for emoji.)")


@functools.lru_cache(maxsize=None)
def _font_cmap(path: str) -> frozenset[int]:
    """The code points a TrueType file can draw (read once per process)."""
    from fontTools.ttLib import TTFont

    with TTFont(path, lazy=True) as font:
        return frozenset(font.getBestCmap() or ())


def _usable_fonts(paths) -> list[str]:
    found = []
    for path in paths:
        if path and Path(path).is_file():
            try:
                _font_cmap(path)
            except Exception:  # a broken or non-TrueType file: not a font we can use
                continue
            found.append(path)
    return found


def _ignorable(ch: str) -> bool:
    """Characters that draw nothing and need no glyph: format characters (joiners, marks), variation selectors."""
    code = ord(ch)
    return unicodedata.category(ch) == "Cf" or 0xFE00 <= code <= 0xFE0F or 0xE0100 <= code <= 0xE01EF


class _PdfText:
    """The fonts a handout uses and the text they can draw: a character no font covers is written as <U+XXXX>
    (never "?"), and the handout says so once (`missing`)."""

    def __init__(self, text: str):
        main = _usable_fonts(PDF_FONT[:1])
        self.unicode = bool(main)
        self.bold = self.unicode and bool(_usable_fonts(PDF_FONT[1:]))
        extra = os.environ.get("CHOKEPOINT_PDF_FONTS", "").split(":")
        self.fallbacks: list[str] = []
        if self.unicode:
            covered = set(_font_cmap(main[0]))
            wanted = {ord(ch) for ch in text if not _ignorable(ch)} - covered
            for path in _usable_fonts([*PDF_FALLBACK_FONTS, *extra]):  # only the fonts this text needs
                if wanted & _font_cmap(path):
                    self.fallbacks.append(path)
                    covered |= _font_cmap(path)
                    wanted -= _font_cmap(path)
            self._covered = frozenset(covered)
        self.missing = False

    def can_draw(self, ch: str) -> bool:
        if self.unicode:
            return ord(ch) in self._covered
        return ord(ch) < 256

    def __call__(self, text: str) -> str:
        if not self.unicode:
            text = text.translate(_LATIN1)
        out = []
        for ch in text:
            if ch in "\n\t" or self.can_draw(ch):
                out.append(ch)
            elif not _ignorable(ch):
                out.append(f"<U+{ord(ch):04X}>")
                self.missing = True
        return "".join(out)

    def setup(self, pdf) -> str:
        """Register the fonts with `pdf`; returns the font family to use."""
        if not self.unicode:
            return "Helvetica"
        pdf.add_font("Body", "", PDF_FONT[0])
        if self.bold:
            pdf.add_font("Body", "B", PDF_FONT[1])
        for number, path in enumerate(self.fallbacks):
            pdf.add_font(f"Fallback{number}", "", path)
        if self.fallbacks:
            pdf.set_fallback_fonts([f"Fallback{n}" for n in range(len(self.fallbacks))], exact_match=False)
        return "Body"


def _pack_text(pack: Pack) -> str:
    parts = [pack.title, pack.subtitle, *pack.stamp.lines(), *pack.sources, *pack.left_out]
    parts += [f"{name} {value}" for name, value in pack.assumptions]
    for item in pack.slides:
        parts += [item.title, item.scenario, item.link, item.notes, *item.takeaways, *item.odds]
        parts += [" ".join(numbers) for numbers in item.numbers]
    return "\n".join(parts)


def pack_pdf(pack: Pack) -> bytes:
    """The same briefing as a PDF handout (A4 landscape). Unicode fonts when the machine has them (Chinese
    included, with fonts-droid-fallback); a character no font can draw is written as <U+XXXX> and the title
    page says so."""
    from fpdf import FPDF

    pack = xml_safe_tree(pack)
    text = _pack_text(pack)
    draw = _PdfText(text)
    draw(text)  # finds out up front whether a character cannot be drawn, to say so on the title page
    pdf = FPDF(orientation="L", unit="mm", format="A4")
    family = draw.setup(pdf)
    bold = "B" if family == "Helvetica" or draw.bold else ""
    pdf.set_auto_page_break(auto=True, margin=14)
    pdf.set_title(draw(pack.title))
    pdf.set_subject(draw(pack.stamp.text()))
    pdf.set_creator("Chokepoint")

    def footer_text():
        pdf.set_y(-13)
        pdf.set_font(family, size=7)
        pdf.multi_cell(0, 3, draw(" | ".join(pack.stamp.lines()[1:4])), new_x="LMARGIN", new_y="NEXT")

    def heading(text, size=20):
        pdf.set_font(family, style=bold, size=size)
        pdf.multi_cell(0, size * 0.5, draw(text), new_x="LMARGIN", new_y="NEXT")
        pdf.ln(2)

    def body(lines, size=10):
        pdf.set_font(family, size=size)
        for line in lines:
            pdf.multi_cell(0, size * 0.5, draw(line), new_x="LMARGIN", new_y="NEXT")

    pdf.add_page()
    pdf.ln(40)
    heading(pack.title, 28)
    body([pack.subtitle, "", *pack.stamp.lines()[2:]], 12)
    if pack.left_out:
        body(["", *pack.left_out_lines()], 11)
    if draw.missing:
        body(["", MISSING_FONT_NOTE], 9)
    footer_text()
    for item in pack.slides:
        pdf.add_page()
        heading(item.title)
        body([f"Scenario: {item.scenario}"], 10)
        pdf.ln(2)
        top = pdf.get_y()
        pdf.set_font(family, size=10)
        pdf.set_xy(10, top)
        pdf.multi_cell(70, 5, draw("\n".join(
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
