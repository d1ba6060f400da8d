"""A crawl of the pages each persona reaches from the dashboard and its navigation.

Breadth first from ``/``, pages opened in the browser up to depth 2 (at most ``MAX_PAGES`` per persona, at
most ``PER_SHAPE`` pages of one URL shape such as ``/nodes/<x>/``), every other same-origin link target
fetched with the context's request API (same cookies). For every page and link target: no status >= 400,
no bounce to the login page; on every opened page: no console error and no uncaught script error.

Not followed: logout, the admin, the API, static and media files, downloads (``download`` links, .pdf /
.xlsx / .csv / .png / .svg / .dot, exports, import templates), the language switch, and links whose query
string only sorts or pages a list.
"""

from __future__ import annotations

import re
from collections import deque
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlsplit, urlunsplit

import pytest

MAX_DEPTH = 2
MAX_PAGES = 60
PER_SHAPE = 2  # pages of one shape opened in the browser
CHECKS_PER_SHAPE = 4  # further link targets of one shape fetched with the request API

CRAWLED = ("joint_office", "bj_official", "tj_official", "he_official", "enterprise_member", "subscriber")
SKIP_PATH = re.compile(
    r"^/(admin|api|static|media|i18n)/|^/logout/|^/login/|^/favicon|^/exports/|^/imports/templates/"
    r"|\.(pdf|xlsx|csv|png|svg|dot|zip)$"
)
LIST_ONLY_KEYS = {"sort", "order", "ordering", "o", "dir", "page"}
# The segment after these is a slug: /chains/hydrogen/ and /chains/robots/ are one shape.
SLUG_PARENTS = {"chains", "clusters", "leadership"}

LINKS_JS = "els => els.filter(e => !e.hasAttribute('download')).map(e => e.href)"


@dataclass(frozen=True)
class Problem:
    url: str
    status: int | str
    found_on: str
    what: str

    def __str__(self) -> str:
        return f"{self.what} {self.status} {self.url} (linked from {self.found_on})"


def shape(url: str) -> str:
    parts = urlsplit(url)
    segments = parts.path.strip("/").split("/")
    out = []
    for i, segment in enumerate(segments):
        previous = segments[i - 1] if i else ""
        generic = any(ch.isdigit() for ch in segment) or (previous in SLUG_PARENTS and segment != "new")
        out.append("<x>" if generic else segment)
    keys = ",".join(sorted({key for key, _ in parse_qsl(parts.query, keep_blank_values=True)}))
    return "/" + "/".join(out) + (f"?{keys}" if keys else "")


def normalize(href: str, origin: str) -> str | None:
    """The URL to crawl for a link, or None when the crawl does not follow it."""
    parts = urlsplit(href)
    if parts.scheme not in ("http", "https") or f"{parts.scheme}://{parts.netloc}" != origin:
        return None
    if SKIP_PATH.search(parts.path):
        return None
    query = parse_qsl(parts.query, keep_blank_values=True)
    if query and {key for key, _ in query} <= LIST_ONLY_KEYS:
        return None
    return urlunsplit((parts.scheme, parts.netloc, parts.path, parts.query, ""))


def crawl(session: Any, origin: str) -> tuple[list[Problem], int, int]:
    page, request = session.page, session.context.request
    problems: list[Problem] = []
    seen: set[str] = set()
    opened_per_shape: dict[str, int] = {}
    checked_per_shape: dict[str, int] = {}
    queue: deque[tuple[str, int, str]] = deque([(f"{origin}/", 0, "(start)")])
    opened = checked = 0

    def login_bounce(url: str) -> bool:
        return urlsplit(url).path.startswith("/login/")

    while queue:
        url, depth, found_on = queue.popleft()
        if url in seen:
            continue
        seen.add(url)
        key = shape(url)
        if depth <= MAX_DEPTH and opened < MAX_PAGES and opened_per_shape.get(key, 0) < PER_SHAPE:
            opened_per_shape[key] = opened_per_shape.get(key, 0) + 1
            opened += 1
            errors_before = len(session.errors)
            response = page.goto(url, wait_until="load")
            status = response.status if response is not None else "no response"
            if not isinstance(status, int) or status >= 400:
                problems.append(Problem(url, status, found_on, "page"))
                continue
            if login_bounce(page.url):
                problems.append(Problem(url, "login", found_on, "page sends to the login page"))
                continue
            problems.extend(Problem(url, "console", found_on, e) for e in session.errors[errors_before:])
            for href in page.eval_on_selector_all("a[href]", LINKS_JS):
                target = normalize(href, origin)
                if target is not None and target not in seen:
                    queue.append((target, depth + 1, url))
        elif checked_per_shape.get(key, 0) < CHECKS_PER_SHAPE:
            checked_per_shape[key] = checked_per_shape.get(key, 0) + 1
            checked += 1
            response = request.get(url)
            if response.status >= 400:
                problems.append(Problem(url, response.status, found_on, "link"))
            elif login_bounce(response.url):
                problems.append(Problem(url, "login", found_on, "link sends to the login page"))
            response.dispose()
    return problems, opened, checked


def test_shape_and_normalize_rules() -> None:
    origin = "http://localhost:8000"
    assert shape(f"{origin}/chains/hydrogen/history/") == shape(f"{origin}/chains/robots/history/")
    assert shape(f"{origin}/nodes/H2-UP-03/") == "/nodes/<x>"
    assert shape(f"{origin}/chains/hydrogen/nodes/new/") == "/chains/<x>/nodes/new"
    assert shape(f"{origin}/enterprises/?chain=h&node=H2") == "/enterprises?chain,node"
    assert normalize(f"{origin}/enterprises/?sort=name", origin) is None
    assert normalize(f"{origin}/enterprises/?page=2&sort=name", origin) is None
    assert normalize(f"{origin}/enterprises/?chain=h&node=X#top", origin) == f"{origin}/enterprises/?chain=h&node=X"
    assert normalize(f"{origin}/rounds/3/report.pdf", origin) is None
    assert normalize(f"{origin}/admin/", origin) is None
    assert normalize("http://example.org/", origin) is None
    assert normalize(f"{origin}/nodes/H2-UP-03/#diagram", origin) == f"{origin}/nodes/H2-UP-03/"


@pytest.mark.parametrize("persona", CRAWLED)
def test_every_page_a_persona_reaches_answers_and_runs_clean(persona, browser) -> None:
    session = browser.open(persona)
    problems, opened, checked = crawl(session, browser.url)
    print(f"crawl {persona}: {opened} pages opened, {checked} further links fetched, {len(problems)} problems")
    for problem in problems:
        print(f"  {persona}: {problem}")
    assert opened >= 8, f"{persona} reached only {opened} pages"
    assert problems == [], "\n".join(str(p) for p in problems)
