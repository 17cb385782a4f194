"""Issue 14: a seeded fuzz of shared links over every page. Each link is opened in Chromium on one server; the
test fails on an exception element, a traceback, the app's error message, a request to any other host, an
element pointing at the hostile host, text rendered as an image/script/formula/icon/heading, or a traceback in
the server's log; and on anything harness.page_health finds (an st.error, a chart drawing empty or NaN data or no
marks, in every tab). The one st.error a link may show is the seeded deck's gone step (ALLOWED_ERRORS).

CHOKEPOINT_FUZZ_LINKS sets how many links (default 100: each page now checked in every tab, ~4-7 s a link on this
2-core machine, ~7-11 minutes);
CHOKEPOINT_FUZZ_SEED the seed.
"""
from __future__ import annotations

import os
import random
from urllib.parse import quote

from chokepoint import MODEL_VERSION
from chokepoint.params import ADVANCED_LEVERS, ADVANCED_PARAMETERS
from chokepoint.store import DuckDBStore

from .harness import page_health, screenshot, wait_for_app_idle
from .hostile import EVIL_HOST, PAYLOADS, OutsideRequests, problems
from .test_dashboard import PAGES

LINKS = int(os.environ.get("CHOKEPOINT_FUZZ_LINKS", "100"))
SEED = int(os.environ.get("CHOKEPOINT_FUZZ_SEED", "14"))
PATHS = [*PAGES, "present"]
KEYS = ["export_controls", "self_reliance", "reference", "year", "bands", "scenario", "compare", "present", "step",
        "deck", "embed", "embed_options", *ADVANCED_LEVERS, *list(ADVANCED_PARAMETERS)[:4]]
NUMBERS = ["0", "100", "50", "-1", "101", "12.5", "-0", "1e308", "-1e308", "1e-320", "NaN", "inf", "-inf", "0x10",
           " 5 ", "5,5", "２０", "٣", "2028", "2026", "1999", "3000", "true", "", "00080", "+7"]
PRESETS = ["As announced for 2026", "Détente", "2024 regime frozen", "Both sides hawkish"]
# The seeded deck's second step names a scenario that does not exist: Briefing mode says so as an st.error.
ALLOWED_ERRORS = ("cannot be shown: no saved scenario has the id",)
RAW = ["%", "%%%", "%zz", "%00", "%ff%fe", "%EF%BF%BF", "%E2%80%AE", "%0A%0D", "%2F..%2F..%2Fetc%2Fpasswd", "&&&",
       "===", "#frag", "%23", "%3Cscript%3Ealert(1)%3C%2Fscript%3E", "%60%21%5B%5D(http%3A%2F%2Fevil.example%2Fx)"]


def _text(rng: random.Random, ids: list[str]) -> str:
    kind = rng.random()
    if kind < 0.35:
        return rng.choice(list(PAYLOADS.values()))[: rng.choice([10, 40, 200, 10_000])]
    if kind < 0.6:
        return rng.choice(NUMBERS)
    if kind < 0.7:
        return rng.choice(PRESETS + ids)
    if kind < 0.8:
        return ",".join(rng.choice(["preset:Détente", "preset:2024 regime frozen", *ids,
                                    PAYLOADS["link"], "x" * 50]) for _ in range(rng.randint(1, 6)))
    alphabet = "aZ09 _-.,:;!?*[]()<>{}|`$^~=+&@#%\\/'\"\n\t\u202e\u200b\ufeff华为😀\x00\uffff\U0010ffff"
    return "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 60)))


def _link(rng: random.Random, ids: list[str], decks: list[str]) -> str:
    path = rng.choice(PATHS)
    if rng.random() < 0.05:
        path += "/" + rng.choice(["x", "x/y", "..", "%2e%2e", "static", EVIL_HOST])
    parts = []
    for _ in range(rng.randint(0, 7)):
        roll = rng.random()
        if roll < 0.65:
            key = rng.choice(KEYS)
        elif roll < 0.8:
            key = rng.choice(list(PAYLOADS.values()))[:rng.choice([5, 30, 300])]
        else:
            key = "".join(rng.choice("abcxyz_-%") for _ in range(rng.randint(1, 12)))
        if key == "deck" and decks and rng.random() < 0.7:
            value = rng.choice(decks)
        else:
            value = _text(rng, ids)
        if rng.random() < 0.1:
            parts.append(f"{quote(key, safe='')}={rng.choice(RAW)}")  # raw, malformed escapes included
        else:
            parts.append(f"{quote(key, safe='')}={quote(value, safe='')}")
    if rng.random() < 0.05:
        parts.append(rng.choice(RAW))
    return f"/{path}" + (f"?{'&'.join(parts)}" if parts else "")


def test_a_few_hundred_fuzzed_links_never_show_an_error_or_load_anything_from_outside(browser, fresh_server,
                                                                                      tmp_path):
    store_dir = tmp_path / "store"
    store = DuckDBStore(store_dir / "scenarios.duckdb")
    ids = [store.save({"export_controls": 10 + i, "self_reliance": 50}, text.replace("\n", " ")[:120] or "x",
                      text[:2000], MODEL_VERSION, "x", {})[0].id for i, text in enumerate(PAYLOADS.values())]
    deck, _ = store.save_deck(PAYLOADS["image"], [{"ref": ids[0], "title": PAYLOADS["link"]},
                                                  {"ref": "zzzzzzzzzz", "title": "gone"},
                                                  {"ref": "preset:Détente", "title": PAYLOADS["emoji"]}],
                              MODEL_VERSION)
    store.close()
    server = fresh_server(env={"CHOKEPOINT_STORE_DIR": str(store_dir)})
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    outside = OutsideRequests(context, server.url)
    page = context.new_page()
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    rng = random.Random(SEED)
    failures = []
    try:
        for number in range(LINKS):
            link = _link(rng, ids, [deck.id])
            outside.seen.clear()
            page.goto(server.url + link)
            try:
                wait_for_app_idle(page, timeout_ms=60000, quiet_ms=150)
            except Exception as exc:
                failures.append((number, link, [f"never idle: {type(exc).__name__}"]))
                continue
            found = problems(page, outside) + [f"dialog: {m}" for m in dialogs]
            try:
                found += [p for p in page_health(page, timeout_ms=60000, allow_errors=ALLOWED_ERRORS)
                          if p not in found]
            except Exception as exc:  # a tab that never settles
                found.append(f"health check did not finish: {type(exc).__name__}: {str(exc)[:200]}")
            dialogs.clear()
            if page.locator("h1").count() == 0:
                found.append("no page title (blank page?)")
            if found:
                screenshot(page, f"fuzz-{number}")
                failures.append((number, link, found))
            assert server.process.poll() is None, f"the server died at link {number}: {link}"
    finally:
        context.close()
    log = server.log_path.read_text(errors="replace")
    assert "Traceback" not in log and "Uncaught" not in log, log[-3000:]
    assert not failures, "\n".join(f"#{n} {link[:300]}: {found}" for n, link, found in failures[:20])
