"""One spelling per unit, wherever a number is written (pages, exports, packs, the command line)."""
import re
from pathlib import Path

import pytest

from chokepoint.formatting import LEVER_YEARS, FIRST_LEVER_YEAR, HISTORY_YEARS, YEARS, number

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("value,unit,kwargs,expected", [
    (0.41, "fraction", {}, "41.0%"), (0.4123, "fraction", {"digits": 2}, "41%"),
    (0.015, "fraction", {"signed": True}, "+1.5 pts"), (-0.0001, "fraction", {"signed": True}, "0.0 pts"),
    (10.34, "USD bn", {}, "$10.3B"), (50, "USD bn", {"digits": 3}, "$50B"), (9.996, "USD bn", {"digits": 3}, "$10B"), (5.028, "USD bn", {"digits": 4}, "$5.028B"),
    (0.05, "fraction", {"digits": 3}, "5%"), (1234.5, "USD bn", {"digits": 3}, "$1,230B"),
    (-1.25, "USD bn", {"signed": True}, "-$1.2B"), (0.4, "USD bn", {"signed": True}, "+$0.4B"),
    (1.24e6, "units", {}, "1.24M"), (812_000, "units", {}, "812k"), (-2_400.0, "units", {"signed": True}, "-2k"),
    (12, "pct", {}, "12.0%"), (12, "percent", {}, "12.0%"), (float("nan"), "USD bn", {}, "n/a"),
])
def test_each_unit_has_one_spelling(value, unit, kwargs, expected):
    assert number(value, unit, **kwargs) == expected


@pytest.mark.parametrize("value,unit", [(-120.0, "units"), (-0.01, "USD bn"), (-0.0004, "fraction"), (-0.04, "percent")])
def test_a_change_that_rounds_to_nothing_has_no_sign(value, unit):
    text = number(value, unit, signed=True)
    assert not text.startswith(("-", "+")), text


def test_the_years_are_spelled_once():
    assert HISTORY_YEARS + LEVER_YEARS == YEARS and LEVER_YEARS[0] == FIRST_LEVER_YEAR


def test_money_is_never_spelled_bn():
    """'$10bn' and '$10.0B' for the same thing confused readers: money is written '...B' everywhere (the app,
    exports, the command line's reports)."""
    bn = re.compile(r"\$\{[^}]*\}bn\b")
    found = [f"{path.relative_to(ROOT)}:{n}: {line.strip()}"
             for path in [*(ROOT / "chokepoint").rglob("*.py"), *(ROOT / "pages").glob("*.py")]
             for n, line in enumerate(path.read_text().splitlines(), 1) if bn.search(line)]
    assert found == []


def test_what_a_user_reads_is_written_by_the_formatting_module():
    """Pages, the Streamlit layer and the sentences under charts never format money or a share by hand (an
    f-string like f"${x:,.1f}B" or f"{x:.0%}"): they call formatting.number, so one change reaches all."""
    by_hand = re.compile(r"\$\{[^}]*\}B\b|\{[^}]*:[,+]?\.\d+%\}|\{[^}]*:[+]?\.\d+f\} pts")
    places = [*(ROOT / "pages").glob("*.py"), *(ROOT / "chokepoint" / "ui").glob("*.py"),
              ROOT / "chokepoint" / "views.py", ROOT / "chokepoint" / "briefing.py"]
    found = [f"{path.relative_to(ROOT)}:{n}: {line.strip()}" for path in places
             for n, line in enumerate(path.read_text().splitlines(), 1) if by_hand.search(line)]
    assert found == []
