"""User and link text, made safe where it enters a page or a file. No Streamlit.

Text a visitor controls (saved names, notes, deck titles, anything in the address bar) reaches three kinds of
output, each with one rule:

- **On screen** (`markdown`): every Streamlit text element renders Markdown, so such text goes through
  `markdown()` wherever it is put into an ``st.*`` call. It then shows as typed: no image, link, heading, list,
  table, LaTeX, emoji or icon shortcode, typographic replacement or autolinked address, and nothing is
  requested from another host.
- **In a spreadsheet** (`csv_cell`): a cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
  return gets a leading apostrophe (the OWASP rule against CSV formula injection).
- **In XML** (charts, PPTX, PDF): `exports.xml_safe` drops what XML 1.0 cannot hold.

Names, notes and titles are also cleaned once when they are saved (chokepoint/store/records.py): control characters,
noncharacters and text-direction controls are removed, and a name with nothing visible is refused.
"""
from __future__ import annotations

import re
import unicodedata

WORD_JOINER = "\u2060"
REPLACEMENT = "\ufffd"

# CommonMark lets a backslash escape any ASCII punctuation character, which then shows as itself: this covers
# links and images ([]()!), emphasis (*_~), headings and setext underlines (# = -), lists (+ - . )), tables (|),
# block quotes and HTML (< >), entities (&), code (`), LaTeX ($) and Streamlit's directives (:red[...]).
_ASCII_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")

# Streamlit's Markdown rewrites text *after* parsing, when a backslash escape is already gone: emoji and icon
# shortcodes (:smile:, :material/home: which it reads as :material_home:, :streamlit:), typographic pairs
# (-- -> <- <-> >= <= ~=) and bare addresses (http://..., www...., a@b.c), which remark-gfm turns into links.
# An invisible word joiner (U+2060) inside each keeps it from matching; the text still reads as typed.
_REWRITTEN_AFTER_PARSING = re.compile(
    r"(?<=:)(?=[\w+-][\w+/-]*:)"        # :shortcode:
    r"|(?<=[-<>~])(?=[-=>])"           # -- -> <- <-> >= <= ~=
    r"|(?<=http)(?=s?:)"                # http: https:
    r"|(?<=www)(?=\.)"                  # www.
    r"|(?<=@)",                         # a@b.c
    re.IGNORECASE)

# Not shown at all: text-direction controls reorder the rest of the line (a name could pose as another);
# control characters, noncharacters and lone surrogates cannot be displayed or exported. Each becomes U+FFFD.
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c")
# Characters that display as nothing although Unicode does not class them as spaces or format characters.
BLANK_LOOKALIKES = frozenset("\u115f\u1160\u3164\uffa0\u2800\u180e")


def unsafe_kind(ch: str) -> str | None:
    """Why `ch` cannot be shown or stored (None: it can). Line breaks and tabs are the caller's business."""
    code = ord(ch)
    if 0xFDD0 <= code <= 0xFDEF or code & 0xFFFE == 0xFFFE:
        return "noncharacter"
    if ch in BIDI_CONTROLS:
        return "text-direction control"
    category = unicodedata.category(ch)
    if category == "Cc":
        return "control character"
    if category == "Cs":
        return "lone surrogate"
    return None


def visible(ch: str) -> bool:
    """Whether `ch` draws something: not a space, a format character (zero-width ones included), a control,
    a lone combining mark or a known blank look-alike."""
    return unicodedata.category(ch)[0] not in "ZCM" and ch not in BLANK_LOOKALIKES


def has_visible(text: str) -> bool:
    return any(visible(ch) for ch in text)


def _shown(ch: str) -> str:
    if ch == "\t":
        return " "
    return REPLACEMENT if ch != "\n" and unsafe_kind(ch) is not None else ch


def markdown(text: object) -> str:
    """`text` as Markdown source that Streamlit shows exactly as typed (see the module's docstring).

    Line breaks stay line breaks (a hard break each); leading spaces are dropped (HTML would collapse them, and
    four would make a code block); unsafe characters (`unsafe_kind`) show as U+FFFD."""
    text = str(text).replace("\r\n", "\n").replace("\r", "\n")
    text = "".join(_shown(ch) for ch in text)
    text = _REWRITTEN_AFTER_PARSING.sub(WORD_JOINER, text)
    return "  \n".join(_ASCII_PUNCTUATION.sub(r"\\\1", line.lstrip()) for line in text.split("\n"))


def quoted(text: object, limit: int = 40) -> str:
    """A piece of link text for a notice: at most `limit` characters (with … when cut), between quotes,
    through `markdown`."""
    text = str(text)
    cut = text[:limit] + ("…" if len(text) > limit else "")
    return f"“{markdown(cut)}”"


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: object) -> object:
    """A spreadsheet cannot read `value` as a formula: text starting with = + - @ tab or CR gets a leading
    apostrophe (OWASP). Numbers and anything else are returned unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value
