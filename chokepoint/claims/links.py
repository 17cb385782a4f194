"""Links that open the dashboard at lever settings (and a headline year)."""
from __future__ import annotations

from urllib.parse import urlencode

from chokepoint.params import FIRST_LEVER_YEAR, YEARS

LEVERS = ("export_controls", "self_reliance")  # the headline levers, as the dashboard's query parameters
LINK_YEARS = range(FIRST_LEVER_YEAR, YEARS[-1] + 1)  # the dashboard's headline-year range


def dashboard_link(page: str, settings: dict[str, float], year: int | None = None) -> str:
    """A relative link that opens the dashboard page at these lever settings (and headline year)."""
    query = {name: f"{settings[name]:g}" for name in LEVERS if name in settings}
    if year is not None and year in LINK_YEARS:
        query["year"] = str(int(year))
    return f"/{page.strip('/')}?{urlencode(query)}"
