"""The one rule for user and link text (chokepoint/safetext.py); the browser tests check how it renders."""
import re

import pytest

from chokepoint.safetext import WORD_JOINER, csv_cell, has_visible, markdown, quoted


def unescape(source: str) -> str:
    return re.sub(r"\\(.)", r"\1", source).replace(WORD_JOINER, "")


@pytest.mark.parametrize("text", [
    "![x](http://evil.example/x.png)", "[Sign in again](http://evil.example)", "`[Renew](//evil.example)",
    "$x^2$ and $$y$$", ":smile: :material/home: :streamlit: :red[red]", "a -- b -> c <- d >= e <= f ~= g",
    "back\\slash \\* \\\\", "http://evil.example www.evil.example a@evil.example", "<script>x</script> &amp;",
    "# h\n- i\n1. one\n> q\n| a | b |", "华为 🚀 Ünïcödé a\u200bb", "=HYPERLINK(\"x\")", "L" * 10_000,
])
def test_every_markdown_character_is_escaped_and_the_text_comes_back_as_typed(text):
    source = markdown(text)
    assert unescape(source).replace("  \n", "\n") == "\n".join(line.lstrip() for line in text.split("\n"))
    unescaped = re.sub(r"\\.", "", source)
    assert not re.search(r"[!-/:-@\[-`{-~]", unescaped.replace("  \n", "\n")), unescaped


def test_rewrites_after_parsing_are_broken_by_a_word_joiner():
    assert markdown(":smile:") == "\\:" + WORD_JOINER + "smile\\:"
    assert markdown("a -- b") == "a \\-" + WORD_JOINER + "\\- b"
    assert WORD_JOINER in markdown("http://x") and WORD_JOINER in markdown("www.x") and WORD_JOINER in markdown("a@b")
    assert WORD_JOINER not in markdown("plain words, 12.5% and a-b")


def test_unsafe_characters_show_as_replacement_and_lines_as_lines():
    assert markdown("a\u202eb\x00c\uffff\ufdd0d") == "a\ufffdb\ufffdc\ufffd\ufffdd"
    assert markdown("one\r\n    two\rthree\tfour") == "one  \ntwo  \nthree four"
    assert markdown("Heading\n===") == "Heading  \n\\=\\=\\="


def test_quoted_cuts_long_link_text():
    assert quoted("x" * 50, 10) == "“" + "x" * 10 + "…”"
    assert quoted("[a](b)") == "“\\[a\\]\\(b\\)”"


def test_csv_cell_is_the_owasp_rule():
    for formula in ("=1+1", "+1", "-1+1", "@SUM(1)", "\t=1", "\r=1"):
        assert csv_cell(formula) == "'" + formula
    assert csv_cell("Nvidia") == "Nvidia" and csv_cell(-1.5) == -1.5 and csv_cell(None) is None


def test_visible():
    assert has_visible("a\u200b") and has_visible("华")
    assert not has_visible("\u200b\u200d \u3164\u2800\u0301")
