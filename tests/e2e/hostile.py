"""Hostile text for the browser tests (issue 14), and the checks every page that shows it must pass.

Every payload that names a host names EVIL_HOST, so an injected image or link is easy to spot; the browser
context aborts and records any request that leaves the app's own server (`OutsideRequests`).
"""
from __future__ import annotations

import re
from urllib.parse import urlsplit

from chokepoint.safetext import unsafe_kind

EVIL_HOST = "evil.example"
PAYLOADS = {  # what a careless or hostile user types, by what it tries
    "image": f"![x](http://{EVIL_HOST}/x.png)",
    "link": f"[Sign in again](http://{EVIL_HOST}/login)",
    "link-relative": f"`[Renew access](//{EVIL_HOST})",
    "html": f"<img src=http://{EVIL_HOST}/i.png onerror=alert(1)><script>alert(2)</script>",
    "latex": "$x^2$ and $$\\int y$$",
    "emoji": ":smile: :material/home: :streamlit: :red[red]",
    "setext": "Heading\n===",
    "typography": "a -- b -> c <= d",
    "backslash": "back\\slash \\* \\\\ \\n",
    "bare-url": f"http://{EVIL_HOST} www.{EVIL_HOST} a@{EVIL_HOST}",
    "bidi": "abc\u202edcba",
    "zero-width": "a\u200bb\u200dc",
    "noncharacter": "x\uffffy",
    "nul": "x\x00y",
    "cjk": "华为 昇腾 中国",
    "formula": f'=HYPERLINK("http://{EVIL_HOST}","Click")',
    "long": "L" * 10_000,
}
WORD_JOINER = "\u2060"


def as_shown(text: str) -> str:
    """What the app shows for link text: unsafe characters (text-direction controls, NUL, noncharacters) as
    U+FFFD, everything else as typed, whitespace collapsed."""
    return squash("".join("\ufffd" if ch not in "\n\t" and unsafe_kind(ch) else ch for ch in text))


def squash(text: str) -> str:
    return " ".join(text.replace(WORD_JOINER, "").split())


class OutsideRequests:
    """Route every request of a browser context: the app's own server answers, anything else is aborted and
    recorded (data: and blob: URLs are the page's own)."""

    def __init__(self, context, origin: str):
        self.origin = origin.rstrip("/")
        self.seen: list[str] = []
        context.route("**/*", self._route)

    def _route(self, route):
        url = route.request.url
        if url.startswith((self.origin + "/", "data:", "blob:")) or url == self.origin:
            route.continue_()
        else:
            self.seen.append(url)
            route.abort()


_INJECTED_JS = r"""
(host) => {
  const bad = [];
  for (const el of document.querySelectorAll('[href], [src], [srcset], [action], [formaction], [data]')) {
    for (const name of ['href', 'src', 'srcset', 'action', 'formaction', 'data']) {
      const value = el.getAttribute(name);
      if (value && value.toLowerCase().includes(host)) bad.push(el.tagName + ' ' + name + '=' + value);
    }
  }
  const md = '[data-testid="stMarkdownContainer"], [data-testid="stCaptionContainer"]';
  for (const el of document.querySelectorAll(
      `:is(${md}) :is(img, script, iframe, .katex, span[aria-label="home icon"])`)) {
    bad.push('made from text: ' + el.outerHTML.slice(0, 120));
  }
  for (const el of document.querySelectorAll('h1, h2, h3, h4, h5, h6')) {  // the setext payload, as a heading
    if (/^\s*Heading\s*$/.test(el.innerText)) bad.push('made from text: a heading ' + el.outerHTML.slice(0, 80));
  }
  if (document.body.innerText.includes('\u{1F604}')) bad.push('made from text: the :smile: emoji');
  return bad;
}
"""

_APP_IMAGES = re.compile(r"^(data:|blob:|/|\./)")


def problems(page, outside: OutsideRequests) -> list[str]:
    """What must never happen on a page: an outside request, an element pointing at the hostile host, an image,
    script, formula or icon rendered from text, a traceback or the app's own error message."""
    found = [f"outside request: {url}" for url in outside.seen]
    found += page.evaluate(_INJECTED_JS, EVIL_HOST)
    if page.locator('[data-testid="stException"]').count():
        found.append("an exception element is shown")
    body = page.locator("body").inner_text()
    for marker in ("Traceback (most recent call last)", "Something went wrong on this page"):
        if marker in body:
            found.append(f"the page shows {marker!r}")
    for href in page.evaluate("() => Array.from(document.querySelectorAll('a[href]'), a => a.href)"):
        host = urlsplit(href).hostname or ""
        if host and host not in ("127.0.0.1", "localhost") and EVIL_HOST in host:
            found.append(f"link to {href}")
    return found
