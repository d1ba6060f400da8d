"""Pages benchmark: real HTTP load on gunicorn over a scratch PostgreSQL database of full size.

1. A scratch database (``chainmap_bench`` on the server of DATABASE_URL or ``database_url``) is
   created, migrated and filled: the demo data, a matched round, then ``generate_synthetic`` (by
   default 200,000 enterprises and 300,000 profiles). A table ``benchmark_scratch`` in it records the
   size once it is complete, so a rerun of the same size reuses it (``fresh`` rebuilds it); a database
   of that name without the table was not made here and is never touched.
2. gunicorn (2 sync workers, as in production but smaller) serves it on a free loopback port with
   DJANGO_ENV=production (DEBUG off, behind a TLS proxy: every request says X-Forwarded-Proto: https)
   and ``chainmap.benchmarks.settings``, which adds the bare baseline view (``bare_urls``).
3. The demo joint-office user logs in through the login form; each URL is then loaded for
   ``duration`` seconds at ``connections`` connections with wrk (or locust when wrk is missing),
   its session cookie on every request. Anything but a 2xx counts as an error, and a row with
   errors fails whatever its speed.

Targets: every page p99 < 150 ms and at least half the bare view's requests/s; API lists
p99 < 100 ms; the API chain map p99 < 150 ms. The machine is part of the result: the table header
names cores, CPU and PostgreSQL version, and the data size.
"""

from __future__ import annotations

import contextlib
import csv
import http.client
import io
import json
import os
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any, cast
from urllib.parse import quote, urlencode

from django.conf import settings
from django.core.management.base import CommandError

DEFAULT_ENTERPRISES = 200_000
DEFAULT_PROFILES = 300_000
DEFAULT_DURATION = 10
DEFAULT_CONNECTIONS = 16
SCRATCH_DB = "chainmap_bench"
WORKERS = 2
DEMO_USER = "lianhe"
PAGE_P99_MS = 150.0
API_LIST_P99_MS = 100.0
API_P99_MS = 150.0
BARE_SHARE = 0.5
# Written first into every scratch database (the SQL below names it literally).
MARKER_TABLE = "benchmark_scratch"
# gunicorn must answer within this after start; wrk/locust get the duration plus this to finish.
STARTUP_SECONDS = 60
GRACE_SECONDS = 30
LUA_SCRIPT = Path(__file__).with_name("wrk_report.lua")
LOCUSTFILE = Path(__file__).with_name("locustfile.py")

Log = Callable[[str], None]


@dataclass(frozen=True)
class Url:
    name: str
    path: str
    kind: str  # "bare", "page", "api_list" or "api"


@dataclass
class Row:
    name: str
    path: str
    kind: str
    requests: int
    requests_per_s: float
    p50_ms: float | None
    p99_ms: float | None
    errors: int
    error_detail: str
    # Worker time per request, workers / (requests/s): the latency without the queue in front of the
    # workers (at 16 connections on 2 workers most of p50 is waiting for a worker).
    service_ms: float | None = None
    # One request alone just after a write request (which moves the site's write version, so the
    # page's per-viewer cache misses): the cost of the first read after any change, median of a few.
    after_write_ms: float | None = None
    target: str = ""
    passed: bool | None = None


class Result(list[Row]):
    """The rows, plus ``meta``: machine, data size and run settings (the table header, the JSON)."""

    meta: dict[str, Any]

    def __init__(self, rows: list[Row], meta: dict[str, Any]) -> None:
        super().__init__(rows)
        self.meta = meta


@dataclass(frozen=True)
class Server:
    """Where the scratch database lives (the database name in DATABASE_URL is not used)."""

    host: str
    port: str
    user: str
    password: str
    options: dict[str, Any] = field(default_factory=dict)

    def connect(self, dbname: str) -> Any:
        import psycopg

        kwargs: dict[str, Any] = {key: value for key, value in (("host", self.host), ("port", self.port)) if value}
        return psycopg.connect(
            dbname=dbname, user=self.user or None, password=self.password or None, autocommit=True, **kwargs
        )

    def url(self, dbname: str) -> str:
        auth = quote(self.user, safe="")
        if self.password:
            auth += ":" + quote(self.password, safe="")
        host = quote(self.host, safe="") + (f":{self.port}" if self.port else "")
        return f"postgres://{auth}@{host}/{quote(dbname, safe='')}"

    def settings_dict(self, dbname: str) -> dict[str, Any]:
        return {"NAME": dbname, "HOST": self.host, "PORT": self.port, "USER": self.user, "PASSWORD": self.password}


def server_from(database_url: str | None) -> Server:
    """The PostgreSQL server to use; a clear refusal for SQLite (the numbers would mean nothing)."""
    if database_url:
        import dj_database_url

        config = dj_database_url.parse(database_url)
    else:
        config = settings.DATABASES["default"]
    if config.get("ENGINE") != "django.db.backends.postgresql":
        raise CommandError(
            "The pages benchmark needs PostgreSQL (it loads 200,000 enterprises and starts gunicorn); "
            "this database is SQLite. Set DATABASE_URL=postgres://... or pass --database-url."
        )
    return Server(
        host=str(config.get("HOST") or ""),
        port=str(config.get("PORT") or ""),
        user=str(config.get("USER") or ""),
        password=str(config.get("PASSWORD") or ""),
    )


# --- the scratch database ---------------------------------------------------------------


@dataclass
class Scratch:
    name: str
    url: str
    reused: bool
    generate_seconds: float | None
    counts: dict[str, int]
    postgres: str
    urls: list[Url]


def _check_name(name: str) -> None:
    if not name.replace("_", "").isalnum() or not name[0].isalpha():
        raise CommandError(f"--scratch-db must be a plain name (letters, digits, _): {name!r}")
    if name == settings.DATABASES["default"].get("NAME"):
        raise CommandError(f"--scratch-db {name!r} is the configured database: the benchmark only uses its own.")


def _marker(server: Server, name: str) -> dict[str, Any] | None:
    """The scratch record of database ``name``; None when the database exists without one (not ours)."""
    with server.connect(name) as conn:
        found = conn.execute("SELECT to_regclass(%s)", [MARKER_TABLE]).fetchone()
        if found is None or found[0] is None:
            return None
        row = conn.execute("SELECT enterprises, profiles, complete, seconds FROM benchmark_scratch").fetchone()
    if row is None:
        return {"enterprises": -1, "profiles": -1, "complete": False, "seconds": None}
    return dict(zip(("enterprises", "profiles", "complete", "seconds"), row, strict=True))


def _exists(server: Server, name: str) -> bool:
    with server.connect("postgres") as conn:
        return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is not None


def scratch_drop(*, server: Server, name: str) -> bool:
    """Drop the scratch database ``name`` if it is one of ours; True if it was dropped."""
    if not _exists(server, name):
        return False
    if _marker(server, name) is None:
        raise CommandError(f"database {name!r} was not made by the benchmark (no {MARKER_TABLE} table); not dropped")
    with server.connect("postgres") as conn:
        conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
    return True


def _create(server: Server, name: str, *, enterprises: int, profiles: int) -> None:
    with server.connect("postgres") as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    with server.connect(name) as conn:
        # First thing in the database: from now on it is recognisably ours (safe to drop), incomplete.
        conn.execute(
            "CREATE TABLE benchmark_scratch (enterprises integer NOT NULL, profiles integer NOT NULL,"
            " complete boolean NOT NULL DEFAULT false, seconds double precision, made_at timestamptz DEFAULT now())"
        )
        conn.execute("INSERT INTO benchmark_scratch (enterprises, profiles) VALUES (%s, %s)", [enterprises, profiles])


def _default_settings() -> dict[str, Any]:
    """``settings.DATABASES["default"]``, the plain dict it is at run time (typed as dj_database_url's
    ``DBConfig``, a TypedDict without ``clear`` and closed to arbitrary keys)."""
    return cast("dict[str, Any]", settings.DATABASES["default"])


@contextlib.contextmanager
def _default_database(server: Server, name: str) -> Iterator[None]:
    """Make this process's default connection one to the scratch database, so that migrate, load_demo
    and generate_synthetic run unchanged on it; the configured one is back afterwards. A new wrapper,
    not an edited one: the configured database may be SQLite while --database-url names PostgreSQL."""
    from django.db import connections
    from django.db.utils import load_backend

    configured = connections["default"]
    configured.close()
    saved_settings = dict(_default_settings())
    scratch_settings = {
        **configured.settings_dict,
        **server.settings_dict(name),
        "ENGINE": "django.db.backends.postgresql",
        "OPTIONS": {} if configured.vendor != "postgresql" else configured.settings_dict.get("OPTIONS", {}),
        "CONN_MAX_AGE": 0,
    }
    scratch = load_backend(scratch_settings["ENGINE"]).DatabaseWrapper(scratch_settings, alias="default")
    connections["default"] = scratch
    _default_settings().update(scratch_settings)
    try:
        yield
    finally:
        scratch.close()
        connections["default"] = configured
        _default_settings().clear()
        _default_settings().update(saved_settings)


def scratch_prepare(*, server: Server, name: str, enterprises: int, profiles: int, fresh: bool, log: Log) -> Scratch:
    """The scratch database of this size, made (or reused) and migrated; the URLs to load."""
    from django.core.management import call_command
    from django.db import connection

    _check_name(name)
    reused = False
    exists = _exists(server, name)
    marker = _marker(server, name) if exists else None
    if exists:
        if marker is None:
            raise CommandError(
                f"database {name!r} exists but was not made by the benchmark (no {MARKER_TABLE} table): "
                "drop it or pass another --scratch-db"
            )
        same = marker["complete"] and (marker["enterprises"], marker["profiles"]) == (enterprises, profiles)
        if same and not fresh:
            reused = True
        else:
            why = "--fresh" if fresh else "another size or an unfinished load"
            log(f"pages: dropping {name} ({why})")
            scratch_drop(server=server, name=name)
    if not reused:
        log(f"pages: creating {name}")
        _create(server, name, enterprises=enterprises, profiles=profiles)
    generate_seconds = marker["seconds"] if reused and marker else None
    sink = io.StringIO()
    with _default_database(server, name):
        started = time.monotonic()
        # Also on reuse: the tree's migrations may be newer than the data.
        call_command("migrate", interactive=False, verbosity=0, stdout=sink)
        log(f"pages: migrated {name} in {time.monotonic() - started:.1f}s")
        if not reused:
            started = time.monotonic()
            _fill(enterprises=enterprises, profiles=profiles, log=log)
            generate_seconds = time.monotonic() - started
            with connection.cursor() as cursor:
                cursor.execute("UPDATE benchmark_scratch SET complete = true, seconds = %s", [generate_seconds])
            log(f"pages: data loaded in {generate_seconds:.0f}s")
        else:
            log(f"pages: reusing {name} ({enterprises:,} enterprises, {profiles:,} profiles)")
        urls = _urls()
        counts = _counts()
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            postgres = cursor.fetchone()[0]
    return Scratch(
        name=name,
        url=server.url(name),
        reused=reused,
        generate_seconds=generate_seconds,
        counts=counts,
        postgres=postgres,
        urls=urls,
    )


def _fill(*, enterprises: int, profiles: int, log: Log) -> None:
    """Demo data, one matched round (on the demo's tokenized profiles), then the synthetic bulk."""
    from django.core.management import call_command
    from django.db import connection

    from chainmap.matching.services.rounds import round_ensure, round_match
    from chainmap.matching.services.text import tokens_fill_missing
    from chainmap.models import CalendarEntry, RoundKind

    started = time.monotonic()
    call_command("load_demo", force=True, stdout=io.StringIO())
    tokens_fill_missing()
    entry = CalendarEntry.objects.filter(kind=RoundKind.CHAIN_MONTH).order_by("period").first()
    if entry is None:
        raise CommandError("the demo data has no chain-month calendar entry to match a round for")
    round_ = round_ensure(kind=RoundKind.CHAIN_MONTH, period=entry.period)
    matches = round_match(round_id=round_.pk, user=None)
    log(f"pages: demo data and a round of {matches} matches in {time.monotonic() - started:.0f}s")
    if enterprises:
        started = time.monotonic()
        call_command(
            "generate_synthetic",
            enterprises=enterprises,
            profiles=profiles,
            batch_size=5000,
            stdout=_LineLog(log, prefix="pages: generate_synthetic "),
        )
        log(f"pages: generate_synthetic in {time.monotonic() - started:.0f}s")
    with connection.cursor() as cursor:
        # Index-only scans need the visibility map, as autovacuum would set it after a bulk load.
        cursor.execute("VACUUM ANALYZE")


class _LineLog(io.TextIOBase):
    """A stream for ``call_command(stdout=...)`` that hands each written line to ``log``."""

    def __init__(self, log: Log, *, prefix: str) -> None:
        self.log, self.prefix, self._pending = log, prefix, ""

    def write(self, text: str) -> int:
        self._pending += text
        *lines, self._pending = self._pending.split("\n")
        for line in lines:
            if line.strip():
                self.log(self.prefix + line.strip())
        return len(text)


def _urls() -> list[Url]:
    """The pages and endpoints to load, with real objects of the scratch database in them."""
    from django.db.models import Count
    from django.urls import reverse

    from chainmap.benchmarks.bare_urls import BARE_PATH
    from chainmap.models import Chain, Enterprise, MatchingRound, Node

    chain = Chain.objects.order_by("position", "code").first()
    if chain is None:
        raise CommandError("the scratch database has no chain")
    # The busiest node of that chain: the worst case of the node page.
    node = Node.objects.filter(chain=chain).annotate(firms=Count("placements")).order_by("-firms", "code").first()
    round_ = MatchingRound.objects.filter(matches__isnull=False).order_by("period").distinct().first()
    if node is None or round_ is None:
        raise CommandError("the scratch database has no node or no matched round")
    names = Enterprise.objects.order_by("pk").values_list("name", flat=True)
    count = Enterprise.objects.count()
    # A name fragment of the kind people type: an industry word from the middle of a firm's name.
    sample = names[count // 2]
    fragment = sample[-8:-4] if len(sample) >= 8 else sample[:2]
    search = reverse("chainmap:enterprise_list") + "?" + urlencode({"q": fragment})
    return [
        Url("bare view (baseline)", "/" + BARE_PATH, "bare"),
        Url("dashboard", reverse("chainmap:dashboard"), "page"),
        Url("chain list", reverse("chainmap:chain_list"), "page"),
        Url("chain page", reverse("chainmap:chain_detail", kwargs={"slug": chain.slug}), "page"),
        Url("node page", reverse("chainmap:node_detail", kwargs={"code": node.code}), "page"),
        Url("enterprise list", reverse("chainmap:enterprise_list"), "page"),
        Url("enterprise search", search, "page"),
        Url("bottleneck board", reverse("chainmap:bottleneck_list"), "page"),
        Url("round page", reverse("chainmap:round_detail", kwargs={"pk": round_.pk}), "page"),
        Url("API node list", reverse("api:node-list"), "api_list"),
        Url("API enterprise list", reverse("api:enterprise-list"), "api_list"),
        Url("API chain map", reverse("api:chain-map", kwargs={"slug": chain.slug}), "api"),
    ]


def _counts() -> dict[str, int]:
    from chainmap.models import CapabilityProfile, Enterprise, Placement

    return {
        "enterprises": Enterprise.objects.count(),
        "profiles": CapabilityProfile.objects.count(),
        "placements": Placement.objects.count(),
    }


# --- gunicorn ---------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def server_env(*, database_url: str) -> dict[str, str]:
    """The environment of the benchmark's gunicorn: production settings on the scratch database."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(("DJANGO_", "CHAINMAP_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="chainmap.benchmarks.settings",
        DJANGO_ENV="production",
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(48),
        ALLOWED_HOSTS="127.0.0.1",
        DATABASE_URL=database_url,
        EMAIL_URL="dummy://nowhere",
        LOG_LEVEL="WARNING",
        # The map endpoint is throttled per user (120/minute): a load test from one user would
        # measure 429s. The throttle still runs (and costs its cache round trip) on every request.
        CHAINMAP_API_THROTTLE_MAP="1000000/second",
        PYTHONUNBUFFERED="1",
    )
    # Production needs Redis for the cache every worker shares (and a broker URL; GET pages never
    # enqueue): the local one unless the environment names another.
    env.setdefault("REDIS_URL", "redis://127.0.0.1:6379/0")
    return env


@contextlib.contextmanager
def gunicorn(*, database_url: str, log: Log, workers: int = WORKERS) -> Iterator[str]:
    """gunicorn on a free loopback port until the block ends (always stopped, its whole process group)."""
    port = _free_port()
    logfile = tempfile.NamedTemporaryFile(prefix="chainmap-bench-gunicorn-", suffix=".log", delete=False)  # noqa: SIM115
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "config.wsgi:application",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--timeout",
        "60",
        "--graceful-timeout",
        "5",
        "--error-logfile",
        "-",
    ]
    process = subprocess.Popen(
        command,
        cwd=settings.BASE_DIR,
        env=server_env(database_url=database_url),
        stdout=logfile,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"127.0.0.1:{port}"
    try:
        _wait_ready(process, base, logfile.name)
        log(f"pages: gunicorn ({workers} workers) on http://{base}")
        yield base
    finally:
        _stop(process)
        logfile.close()
        with contextlib.suppress(OSError):
            os.unlink(logfile.name)


def _wait_ready(process: subprocess.Popen[bytes], base: str, logfile: str) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise CommandError(f"gunicorn exited with {process.returncode}:\n{_tail(logfile)}")
        with contextlib.suppress(OSError, http.client.HTTPException):
            status, _headers, _body = request(base, "GET", "/login/")
            if status == 200:
                return
        time.sleep(0.25)
    raise CommandError(f"gunicorn did not answer within {STARTUP_SECONDS}s:\n{_tail(logfile)}")


def _tail(path: str, lines: int = 30) -> str:
    with contextlib.suppress(OSError):
        return "\n".join(Path(path).read_text(errors="replace").splitlines()[-lines:])
    return ""


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


# --- HTTP -------------------------------------------------------------------------------

# Every request comes "through the TLS proxy", as in production: no redirect to https, secure cookies.
PROXY_HEADERS = {"X-Forwarded-Proto": "https"}


def request(
    base: str, method: str, path: str, *, headers: dict[str, str] | None = None, body: str | None = None
) -> tuple[int, http.client.HTTPMessage, bytes]:
    host, port = base.rsplit(":", 1)
    conn = http.client.HTTPConnection(host, int(port), timeout=30)
    try:
        conn.request(method, path, body=body, headers={**PROXY_HEADERS, **(headers or {})})
        response = conn.getresponse()
        return response.status, response.headers, response.read()
    finally:
        conn.close()


def _cookies(headers: http.client.HTTPMessage) -> dict[str, str]:
    jar: SimpleCookie = SimpleCookie()
    for value in headers.get_all("Set-Cookie") or []:
        jar.load(value)
    return {key: morsel.value for key, morsel in jar.items()}


def login(base: str, *, username: str = DEMO_USER, password: str | None = None) -> str:
    """Log in through the login form (CSRF and all); the Cookie header of the session."""
    from django.urls import reverse

    from chainmap.demo.users import DEMO_PASSWORD

    path = reverse("login")
    status, headers, _body = request(base, "GET", path)
    cookies = _cookies(headers)
    token = cookies.get(settings.CSRF_COOKIE_NAME)
    if status != 200 or not token:
        raise CommandError(f"the login page answered {status} without a CSRF cookie")
    form = urlencode({"username": username, "password": password or DEMO_PASSWORD, "csrfmiddlewaretoken": token})
    status, headers, _body = request(
        base,
        "POST",
        path,
        body=form,
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": f"{settings.CSRF_COOKIE_NAME}={token}",
            "Referer": f"https://{base}{path}",
        },
    )
    session = _cookies(headers).get(settings.SESSION_COOKIE_NAME)
    if status != 302 or not session:
        raise CommandError(f"logging in as {username} failed: {status} without a session cookie")
    return f"{settings.SESSION_COOKIE_NAME}={session}; {settings.CSRF_COOKIE_NAME}={token}"


# --- load -------------------------------------------------------------------------------


def load_tool() -> str:
    if shutil.which("wrk"):
        return "wrk"
    if _locust_available():
        return "locust"
    raise CommandError("neither wrk nor locust is installed: apt-get install wrk (or uv sync the dev group)")


def _locust_available() -> bool:
    import importlib.util

    return importlib.util.find_spec("locust") is not None


def tool_version(tool: str) -> str:
    if tool == "wrk":
        done = subprocess.run(["wrk", "-v"], capture_output=True, text=True, timeout=10, check=False)
        words = (done.stdout + done.stderr).split()
        return " ".join(words[:2]) if words else "wrk"
    from importlib.metadata import version

    return f"locust {version('locust')}"


def _warm(base: str, path: str, cookie: str) -> None:
    """A few requests on every worker before the clock starts (the first one imports and connects)."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        for _round in range(2):
            list(pool.map(lambda _i: request(base, "GET", path, headers={"Cookie": cookie}), range(WORKERS)))


AFTER_WRITE_SAMPLES = 5


def _write(base: str, cookie: str) -> None:
    """A real write request that changes nothing: the language switch, back to the default."""
    from django.urls import reverse

    path = reverse("set_language")
    token = SimpleCookie(cookie)[settings.CSRF_COOKIE_NAME].value
    status, _headers, _body = request(
        base,
        "POST",
        path,
        body=urlencode({"language": settings.LANGUAGE_CODE, "csrfmiddlewaretoken": token}),
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": cookie,
            "Referer": f"https://{base}{path}",
        },
    )
    if status != 302:
        raise CommandError(f"the write request before a cold read answered {status}")


def after_write(base: str, path: str, cookie: str) -> float:
    """Median ms of one GET right after a write request (nothing else loads the server meanwhile)."""
    samples = []
    for _ in range(AFTER_WRITE_SAMPLES):
        _write(base, cookie)
        started = time.perf_counter()
        status, _headers, _body = request(base, "GET", path, headers={"Cookie": cookie})
        samples.append((time.perf_counter() - started) * 1000)
        if status != 200:
            raise CommandError(f"{path} answered {status} after a write")
    return statistics.median(samples)


def measure(
    *, tool: str, base: str, url: Url, cookie: str, duration: int, connections: int
) -> tuple[int, float, float | None, float | None, int, str]:
    """requests, requests/s, p50 ms, p99 ms, errors, error detail of one URL under load."""
    if tool == "wrk":
        return _measure_wrk(base=base, url=url, cookie=cookie, duration=duration, connections=connections)
    return _measure_locust(base=base, url=url, cookie=cookie, duration=duration, connections=connections)


def _measure_wrk(
    *, base: str, url: Url, cookie: str, duration: int, connections: int
) -> tuple[int, float, float | None, float | None, int, str]:
    command = ["wrk", "-t", str(min(2, connections)), "-c", str(connections), "-d", f"{duration}s"]
    command += ["--timeout", "10s", "-s", str(LUA_SCRIPT), "-H", f"Cookie: {cookie}"]
    for key, value in PROXY_HEADERS.items():
        command += ["-H", f"{key}: {value}"]
    command.append(f"http://{base}{url.path}")
    done = subprocess.run(command, capture_output=True, text=True, timeout=duration + GRACE_SECONDS, check=False)
    line = next((line for line in done.stdout.splitlines() if line.startswith("WRK-RESULT ")), None)
    if done.returncode != 0 or line is None:
        raise CommandError(f"wrk failed ({done.returncode}) on {url.path}: {done.stderr.strip() or done.stdout}")
    data = json.loads(line.removeprefix("WRK-RESULT "))
    requests = int(data["requests"])
    seconds = max(data["duration_us"] / 1e6, 1e-9)
    kinds = {
        "non-2xx": data["non2xx"],
        "connect": data["connect"],
        "read": data["read"],
        "write": data["write"],
        "timeout": data["timeout"],
    }
    errors = sum(kinds.values())
    detail = ", ".join(f"{key} {value}" for key, value in kinds.items() if value)
    if data["non2xx"]:
        detail += f" (first status {data['first_bad_status']})"
    p50 = data["p50_us"] / 1000 if requests else None
    p99 = data["p99_us"] / 1000 if requests else None
    return requests, requests / seconds, p50, p99, errors, detail


def _measure_locust(
    *, base: str, url: Url, cookie: str, duration: int, connections: int
) -> tuple[int, float, float | None, float | None, int, str]:
    with tempfile.TemporaryDirectory(prefix="chainmap-bench-locust-") as tmp:
        prefix = os.path.join(tmp, "run")
        command = [sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--headless", "--only-summary"]
        command += ["-u", str(connections), "-r", str(connections), "-t", f"{duration}s", "--csv", prefix]
        command += ["--host", f"http://{base}", "--loglevel", "WARNING", "--stop-timeout", "5"]
        env = {**os.environ, "BENCH_PATH": url.path, "BENCH_COOKIE": cookie, "BENCH_HEADERS": json.dumps(PROXY_HEADERS)}
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=duration + GRACE_SECONDS, check=False, env=env
        )
        stats = Path(prefix + "_stats.csv")
        if not stats.exists():
            raise CommandError(f"locust failed ({done.returncode}) on {url.path}: {done.stderr.strip()[-2000:]}")
        with stats.open(newline="") as handle:
            total = next((row for row in csv.DictReader(handle) if row["Name"] == "Aggregated"), None)
    if total is None:
        raise CommandError(f"locust wrote no totals for {url.path}")
    requests = int(total["Request Count"])
    errors = int(total["Failure Count"])
    p50 = float(total["50%"]) if requests else None
    p99 = float(total["99%"]) if requests else None
    detail = f"failed {errors}" if errors else ""
    if not requests:
        detail = "no request completed: " + (done.stderr.strip().splitlines() or [""])[-1][:300]
    # Over the whole run, as wrk counts (locust's own rate starts with its first request).
    return requests, requests / duration, p50, p99, errors, detail


# --- the section ------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    model = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return {"cores": os.cpu_count() or 0, "cpu": model or "unknown"}


def run(
    *,
    database_url: str | None = None,
    scratch_db: str = SCRATCH_DB,
    enterprises: int = DEFAULT_ENTERPRISES,
    profiles: int = DEFAULT_PROFILES,
    fresh: bool = False,
    duration: int = DEFAULT_DURATION,
    connections: int = DEFAULT_CONNECTIONS,
    tool: str | None = None,
    log: Log | None = None,
) -> Result:
    """Prepare the scratch database, start gunicorn, load every URL in turn; one row per URL."""
    log = log or (lambda message: print(message, file=sys.stderr, flush=True))
    if duration < 1 or connections < 1:
        raise CommandError("--duration and --connections must be at least 1")
    server = server_from(database_url)
    tool = tool or load_tool()
    if tool == "wrk" and not shutil.which("wrk"):
        raise CommandError("wrk is not installed (apt-get install wrk)")
    if tool == "locust" and not _locust_available():
        raise CommandError("locust is not installed (uv sync, dev group)")
    started = time.monotonic()
    scratch = scratch_prepare(
        server=server, name=scratch_db, enterprises=enterprises, profiles=profiles, fresh=fresh, log=log
    )
    rows: list[Row] = []
    with gunicorn(database_url=scratch.url, log=log) as base:
        cookie = login(base)
        for url in scratch.urls:
            _warm(base, url.path, cookie)
            requests, rate, p50, p99, errors, detail = measure(
                tool=tool, base=base, url=url, cookie=cookie, duration=duration, connections=connections
            )
            service = WORKERS * 1000 / rate if rate else None
            cold = None if url.kind == "bare" else after_write(base, url.path, cookie)
            rows.append(
                Row(
                    url.name,
                    url.path,
                    url.kind,
                    requests,
                    round(rate, 1),
                    _ms(p50),
                    _ms(p99),
                    errors,
                    detail,
                    _ms(service),
                    _ms(cold),
                )
            )
            log(f"pages: {url.name}: {rate:.1f} req/s, p99 {p99 or 0:.0f} ms, {errors} errors")
    _judge(rows)
    meta = {
        **machine(),
        "postgres": scratch.postgres,
        "database": scratch.name,
        "reused": scratch.reused,
        "generate_seconds": None if scratch.generate_seconds is None else round(scratch.generate_seconds, 1),
        "asked": {"enterprises": enterprises, "profiles": profiles},
        "counts": scratch.counts,
        "tool": tool_version(tool),
        "workers": WORKERS,
        "connections": connections,
        "duration_s": duration,
        "user": DEMO_USER,
        "total_s": round(time.monotonic() - started, 1),
    }
    return Result(rows, meta)


def _ms(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def _judge(rows: list[Row]) -> None:
    bare = next((row for row in rows if row.kind == "bare"), None)
    floor = bare.requests_per_s * BARE_SHARE if bare else 0.0
    for row in rows:
        p99 = row.p99_ms if row.p99_ms is not None else float("inf")
        clean = row.errors == 0 and row.requests > 0
        if row.kind == "page":
            row.target = f"p99<{PAGE_P99_MS:.0f} & >={floor:.0f}/s"
            row.passed = clean and p99 < PAGE_P99_MS and row.requests_per_s >= floor
        elif row.kind == "api_list":
            row.target = f"p99<{API_LIST_P99_MS:.0f}"
            row.passed = clean and p99 < API_LIST_P99_MS
        elif row.kind == "api":
            row.target = f"p99<{API_P99_MS:.0f}"
            row.passed = clean and p99 < API_P99_MS
        else:
            row.target = "baseline"
            row.passed = clean or False


def table(rows: Result | list[Row]) -> str:
    meta = getattr(rows, "meta", {})
    lines = ["pages: HTTP load on gunicorn, one URL at a time"]
    if meta:
        counts = meta["counts"]
        made = "reused" if meta["reused"] else f"generated in {meta['generate_seconds']:.0f} s"
        lines += [
            f"  machine: {meta['cores']} cores, {meta['cpu']}; PostgreSQL {meta['postgres']}",
            f"  data: {counts['enterprises']:,} enterprises, {counts['profiles']:,} profiles, "
            f"{counts['placements']:,} placements ({meta['database']}, {made})",
            f"  load: {meta['tool']}, {meta['connections']} connections, {meta['duration_s']} s per URL, "
            f"gunicorn {meta['workers']} sync workers, DJANGO_ENV=production, logged in as {meta['user']}; "
            f"run took {meta['total_s']:.0f} s",
        ]
    lines.append(
        f"  targets: pages p99 < {PAGE_P99_MS:.0f} ms and >= {BARE_SHARE:.0%} of the bare view's req/s; "
        f"API lists p99 < {API_LIST_P99_MS:.0f} ms; API map p99 < {API_P99_MS:.0f} ms; any non-2xx fails"
    )
    lines.append(f"  svc ms = {WORKERS} workers / req/s: time per request in a worker, without the wait for one")
    lines.append(
        "  after write ms = one request alone just after a write request, whose commit moves the site's "
        f"write version (the per-viewer cache misses); median of {AFTER_WRITE_SAMPLES}"
    )
    lines.append(
        f"{'url':<22} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'svc ms':>7} {'after write ms':>14} "
        f"{'requests':>9} {'errors':>7}"
        f"  {'target':<22} result"
    )

    def ms(value: float | None) -> str:
        return "-" if value is None else f"{value:.1f}"

    for row in rows:
        result = "" if row.passed is None else ("pass" if row.passed else "FAIL")
        lines.append(
            f"{row.name:<22} {row.requests_per_s:>8.1f} {ms(row.p50_ms):>8} {ms(row.p99_ms):>8} "
            f"{ms(row.service_ms):>7} {ms(row.after_write_ms):>14} {row.requests:>9} "
            f"{row.errors:>7}  {row.target:<22} {result}"
        )
    lines.append("urls: " + ", ".join(f"{row.name} {row.path}" for row in rows))
    errors = [f"{row.name}: {row.error_detail}" for row in rows if row.error_detail]
    if errors:
        lines.append("errors: " + "; ".join(errors))
    return "\n".join(lines)
