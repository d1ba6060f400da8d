"""``manage.py benchmark --only pages`` end to end at a tiny size: a scratch PostgreSQL database,
gunicorn, wrk (or locust), the table and the JSON. On SQLite the section refuses, clearly."""

from __future__ import annotations

import io
import json
import shutil
from collections.abc import Iterator

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError

from chainmap.benchmarks import pages
from tests.conftest import require

# Not the full-size chainmap_bench: a test never touches (or waits for) the operator's scratch data.
SCRATCH = "chainmap_bench_test"
URL_NAMES = [
    "bare view (baseline)",
    "dashboard",
    "chain list",
    "chain page",
    "node page",
    "enterprise list",
    "enterprise search",
    "bottleneck board",
    "round page",
    "API node list",
    "API enterprise list",
    "API chain map",
]
TINY = ["--enterprises", "200", "--profiles", "300", "--duration", "1", "--connections", "2"]


@pytest.fixture
def scratch(django_db_blocker) -> Iterator[None]:
    """Unblocked database access for the section (it points the default connection at its own
    database) and the scratch database dropped before and after."""
    server = pages.server_from(None)
    with django_db_blocker.unblock():
        pages.scratch_drop(server=server, name=SCRATCH)
        try:
            yield
        finally:
            pages.scratch_drop(server=server, name=SCRATCH)


def run_pages(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("benchmark", "--only", "pages", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def table_rows(text: str) -> dict[str, list[str]]:
    rows = {}
    for line in text.splitlines():
        for name in URL_NAMES:
            if line.startswith(name + " ") and line[len(name) :].split():
                cells = line[len(name) :].split()
                if cells[0].replace(".", "").isdigit():
                    rows[name] = cells
    return rows


def test_it_loads_every_url_on_postgresql_or_refuses_sqlite(tmp_path, request):
    if not settings.IS_POSTGRES:
        with pytest.raises(CommandError, match="needs PostgreSQL"):
            run_pages(*TINY)
        return
    require(bool(shutil.which("wrk")) or pages._locust_available(), "wrk (apt-get install wrk) or locust")
    request.getfixturevalue("scratch")
    path = tmp_path / "bench.json"

    out, err = run_pages(*TINY, "--scratch-db", SCRATCH, "--fresh", "--json", str(path))

    rows = table_rows(out)
    assert list(rows) == URL_NAMES, out + err
    for name, (rate, _p50, _p99, _svc, after_write, requests, errors, *_rest) in rows.items():
        assert float(rate) > 0 and int(requests) > 0, name
        assert errors == "0", f"{name}: {out}"
        # Every page and endpoint is also timed alone right after a write (the bare view is not).
        assert (after_write == "-") == (name == "bare view (baseline)"), f"{name}: {out}"
    assert "2 cores" in out or "cores" in out
    assert "PostgreSQL" in out and "enterprises" in out
    section = json.loads(path.read_text())["sections"]["pages"]
    assert [row["name"] for row in section["rows"]] == URL_NAMES
    for row in section["rows"]:
        assert row["requests_per_s"] == float(rows[row["name"]][0])
        assert row["errors"] == 0 and row["passed"] in (True, False)
        assert (row["after_write_ms"] is None) == (row["kind"] == "bare")
    assert section["meta"]["counts"]["enterprises"] >= 200


def test_it_refuses_a_sqlite_database_url():
    with pytest.raises(CommandError, match="needs PostgreSQL"):
        run_pages("--database-url", "sqlite:///tmp/nowhere.sqlite3")


def _row(name: str, kind: str, rate: float, p99: float, errors: int = 0) -> pages.Row:
    return pages.Row(
        name, "/", kind, requests=100, requests_per_s=rate, p50_ms=1.0, p99_ms=p99, errors=errors, error_detail=""
    )


def test_it_fails_a_fast_page_that_errors_and_a_page_slower_than_half_the_bare_view():
    rows = [
        _row("bare", "bare", 100.0, 20.0),
        _row("fast but broken", "page", 500.0, 5.0, errors=3),
        _row("slow", "page", 40.0, 60.0),
        _row("fine", "page", 60.0, 140.0),
        _row("api slow", "api_list", 500.0, 120.0),
        _row("api fine", "api_list", 50.0, 90.0),
    ]
    pages._judge(rows)
    assert [row.passed for row in rows] == [True, False, False, True, False, True]
    assert "FAIL" in pages.table(rows)
