"""The report of a matching round: a frozen snapshot of what it shows, and its HTML, PDF and XLSX.

``report_snapshot`` reads everything the report shows into plain JSON (a constant number of queries
whatever the round's size). ``report_build`` freezes it once on the ``Report`` row — a rebuild renders
the same snapshot again unless ``refresh=True`` — and renders the three files from it.

Files are rendered in memory, stored under new names and only then assigned to the row in one
UPDATE, so a worker killed half-way leaves the previous files (or none) and never half a report.
The build is claimed with a conditional UPDATE (status → building); a claim older than
``BUILD_TIMEOUT_SECONDS`` (a killed worker) may be taken over.

Joint projects live in the ``projects`` app, which depends on ``chainmap`` and never the other way:
it registers the report's joint-projects section (its rows and its status labels) in
``chainmap.core.extensions`` when it starts; without the app the section is simply empty.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
import re
import uuid
from collections import Counter, defaultdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Count, Q
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext

from chainmap.accounts import permissions
from chainmap.core import extensions, jobs
from chainmap.core.actors import Actor
from chainmap.core.formulas import escape_cell
from chainmap.diagrams.selectors import current_diagram
from chainmap.diagrams.services import fonts
from chainmap.maps.models.chains import EdgeKind
from chainmap.matching.services.matches import round_chain_ids
from chainmap.models import (
    GAP_LEVELS,
    OPEN_BOTTLENECK_STATUSES,
    SEGMENT_ORDER,
    Bottleneck,
    BottleneckStatus,
    Chain,
    Edge,
    Level,
    Match,
    MatchingRound,
    Node,
    NodeAssessment,
    Outcome,
    Placement,
    ProfileStatus,
    Region,
    Report,
    RoundKind,
    Segment,
    TechnologyNeed,
)
from chainmap.reports.models import ReportStatus

if TYPE_CHECKING:
    from config.settings_types import ReportSettings

logger = logging.getLogger(__name__)

BUILD_REPORT = "chainmap.tasks_reports.build_report"  # the job (chainmap.reports.tasks)


def report_build_request(*, round_id: int, user: Actor | None, refresh: bool = False) -> None:
    """Build (``refresh``: rebuild) a round's report in the background once the transaction commits.
    ``user`` None is the system (a finished match); anyone else needs the right to run rounds."""
    if user is not None and not permissions.can_run_round(user=user):
        raise PermissionDenied
    jobs.send_on_commit(BUILD_REPORT, round_id=round_id, refresh=refresh)


SNAPSHOT_VERSION = 1
# Rank up to which a cross-region candidate is listed as a supply–demand pair worth a meeting.
CROSS_REGION_MAX_RANK = 3
# A diagram larger than this is left out of the snapshot (the chain page still shows it).
MAX_DIAGRAM_BYTES = 3_000_000


def _config() -> ReportSettings:
    return settings.CHAINMAP_REPORTS


def _iso(moment: dt.datetime | None) -> str | None:
    return timezone.localtime(moment).isoformat() if moment is not None else None


# --- snapshot -------------------------------------------------------------------------------------


def report_snapshot(*, round_id: int) -> dict[str, Any]:
    """Everything the report of a round shows, as plain JSON (ids, codes and names; no labels)."""

    matching_round = MatchingRound.objects.select_related("chain", "cluster").get(pk=round_id)
    chain_ids = round_chain_ids(round_id=round_id)
    now = timezone.now()
    regions = list(Region.objects.order_by("position", "code").values("id", "code", "name"))
    region_code = {row["id"]: row["code"] for row in regions}
    chains = list(Chain.objects.filter(pk__in=chain_ids).order_by("position", "code").values("id", "code", "name"))

    nodes = list(
        Node.objects.filter(chain_id__in=chain_ids).values(
            "id", "chain_id", "code", "name", "segment", "parent_id", "position"
        )
    )
    nodes.sort(key=lambda n: (n["chain_id"], SEGMENT_ORDER.get(n["segment"], 9), n["position"], n["code"]))
    node_code = {node["id"]: node["code"] for node in nodes}
    levels: dict[int, dict[str, str]] = defaultdict(dict)
    for node_id, region_id, level in NodeAssessment.objects.filter(node__chain_id__in=chain_ids).values_list(
        "node_id", "region_id", "level"
    ):
        levels[node_id][region_code.get(region_id, "")] = level
    suppliers: dict[int, dict[int, tuple[str, str]]] = defaultdict(dict)
    for node_id, enterprise_id, name, region in Placement.objects.filter(
        node__chain_id__in=chain_ids, status=Placement.Status.CONFIRMED
    ).values_list("node_id", "enterprise_id", "enterprise__name", "enterprise__region__code"):
        suppliers[node_id][enterprise_id] = (name, region)
    for node in nodes:
        node["levels"] = {code: levels[node["id"]].get(code, Level.EMPTY) for code in region_code.values()}
        counts = Counter(region for _name, region in suppliers[node["id"]].values())
        node["counts"] = {code: counts.get(code, 0) for code in region_code.values()}
    edges = [
        {"source": node_code.get(source), "target": node_code.get(target), "kind": kind}
        for source, target, kind in Edge.objects.filter(chain_id__in=chain_ids)
        .order_by("source__code", "target__code")
        .values_list("source_id", "target_id", "kind")
    ]

    bottlenecks, needs = _targets(chain_ids=chain_ids, round_id=round_id, node_code=node_code)
    candidates = _candidates(round_id=round_id)
    bottleneck_rows = [
        {**target, "candidates": candidates.get(("bottleneck", target["id"]), [])} for target in bottlenecks
    ]
    need_rows = [{**target, "candidates": candidates.get(("need", target["id"]), [])} for target in needs]
    previous = _previous_round(matching_round)
    status_counts = Counter(row["status"] for row in bottlenecks)
    return {
        "version": SNAPSHOT_VERSION,
        "taken_at": _iso(now),
        "round": {
            "id": matching_round.pk,
            "kind": matching_round.kind,
            "period": matching_round.period.isoformat(),
            "subject": str(matching_round.chain or matching_round.cluster),
            "status": matching_round.status,
            "matched_at": _iso(matching_round.matched_at),
        },
        "regions": [{"code": row["code"], "name": row["name"]} for row in regions],
        "chains": chains,
        "nodes": nodes,
        "edges": edges,
        "diagram_svg": _diagram_svg(matching_round),
        "bottlenecks": [_public(row) for row in bottleneck_rows if row["open"]],
        "needs": need_rows,
        "cross_region_pairs": _cross_region_pairs(bottleneck_rows, need_rows),
        "gaps": _gaps(nodes, regions=[row["code"] for row in regions]),
        "single_supplier_nodes": [
            {
                "code": node["code"],
                "name": node["name"],
                "segment": node["segment"],
                "enterprise": next(iter(suppliers[node["id"]].values()))[0],
                "region": next(iter(suppliers[node["id"]].values()))[1],
            }
            for node in nodes
            if len(suppliers[node["id"]]) == 1
        ],
        "changes": _changes(chain_ids=chain_ids, previous=previous, until=now),
        "bottleneck_status": {status: status_counts.get(status, 0) for status in BottleneckStatus.values},
        "projects": _projects(chain_ids=chain_ids),
        "follow_up": _follow_up(previous),
    }


def _public(row: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in row.items() if key != "open"}


def _targets(
    *, chain_ids: list[int], round_id: int, node_code: dict[int, str]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Every bottleneck of the chains (``open`` marks those matching targets), and the open needs of
    approved profiles on their nodes plus any need the round matched."""
    node_codes: dict[int, list[str]] = defaultdict(list)
    for bottleneck_id, node_id in Bottleneck.nodes.through.objects.filter(
        bottleneck__chain_id__in=chain_ids
    ).values_list("bottleneck_id", "node_id"):
        if node_id in node_code:
            node_codes[bottleneck_id].append(node_code[node_id])
    bottlenecks = [
        {
            "id": pk,
            "code": code,
            "title": title,
            "status": status,
            "severity": severity,
            "region": region,
            "nodes": sorted(node_codes.get(pk, [])),
            "open": status in OPEN_BOTTLENECK_STATUSES,
        }
        for pk, code, title, status, severity, region in Bottleneck.objects.filter(chain_id__in=chain_ids)
        .order_by("code")
        .values_list("pk", "code", "title", "status", "severity", "raised_by__code")
    ]
    matched_needs = Match.objects.filter(round_id=round_id, need__isnull=False).values("need_id")
    needs = [
        {"id": pk, "title": title, "node": code, "enterprise": enterprise, "region": region}
        for pk, title, code, enterprise, region in TechnologyNeed.objects.filter(
            Q(
                node__chain_id__in=chain_ids,
                status=TechnologyNeed.Status.OPEN,
                profile__status=ProfileStatus.APPROVED,
            )
            | Q(pk__in=matched_needs)
        )
        .order_by("node__code", "pk")
        .values_list("pk", "title", "node__code", "profile__enterprise__name", "profile__enterprise__region__code")
    ]
    return bottlenecks, needs


def _candidates(*, round_id: int) -> dict[tuple[str, int], list[dict[str, Any]]]:
    out: dict[tuple[str, int], list[dict[str, Any]]] = defaultdict(list)
    rows = (
        Match.objects.filter(round_id=round_id)
        .order_by("bottleneck_id", "need_id", "rank")
        .values_list(
            "bottleneck_id",
            "need_id",
            "rank",
            "score",
            "components",
            "matched_terms",
            "outcome",
            "enterprise__name",
            "enterprise__credit_code",
            "enterprise__region__code",
            "offer__title",
        )
    )
    for bottleneck_id, need_id, rank, score, components, terms, outcome, name, credit, region, offer in rows:
        key = ("bottleneck", bottleneck_id) if bottleneck_id else ("need", need_id)
        out[key].append(
            {
                "rank": rank,
                "score": round(score, 4),
                "enterprise": name,
                "credit_code": credit,
                "region": region,
                "offer": offer or "",
                "components": components,
                "matched_terms": terms,
                "outcome": outcome,
            }
        )
    return out


def _cross_region_pairs(bottlenecks: list[dict[str, Any]], needs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Demand in one region, a top-ranked supplier in another: the pairs a 对接会 should seat together."""
    pairs = []
    for kind, rows in (("bottleneck", bottlenecks), ("need", needs)):
        for target in rows:
            if kind == "bottleneck" and not target["open"]:
                continue
            label = f"{target['code']} {target['title']}" if kind == "bottleneck" else target["title"]
            for candidate in target["candidates"]:
                if candidate["rank"] > CROSS_REGION_MAX_RANK:
                    break
                if target["region"] and candidate["region"] and target["region"] != candidate["region"]:
                    pairs.append(
                        {
                            "kind": kind,
                            "target": label,
                            "demand_region": target["region"],
                            "demand_enterprise": target.get("enterprise", ""),
                            "supply_region": candidate["region"],
                            "supplier": candidate["enterprise"],
                            "rank": candidate["rank"],
                            "score": candidate["score"],
                        }
                    )
    pairs.sort(key=lambda p: (-p["score"], p["target"], p["supplier"]))
    return pairs


def _gaps(nodes: list[dict[str, Any]], *, regions: list[str]) -> dict[str, list[dict[str, Any]]]:
    """Per region, the nodes judged weak or empty there or with no confirmed enterprise: 补链 / 招商 targets."""
    gaps: dict[str, list[dict[str, Any]]] = {code: [] for code in regions}
    for node in nodes:
        for code in regions:
            level = node["levels"].get(code, Level.EMPTY)
            count = node["counts"].get(code, 0)
            if level in GAP_LEVELS or count == 0:
                gaps[code].append(
                    {
                        "code": node["code"],
                        "name": node["name"],
                        "segment": node["segment"],
                        "level": level,
                        "enterprises": count,
                    }
                )
    return gaps


def _previous_round(matching_round: MatchingRound) -> MatchingRound | None:
    subject = (
        Q(chain_id=matching_round.chain_id)
        if matching_round.kind == RoundKind.CHAIN_MONTH
        else Q(cluster_id=matching_round.cluster_id)
    )
    return (
        MatchingRound.objects.filter(subject, kind=matching_round.kind, period__lt=matching_round.period)
        .select_related("report")
        .order_by("-period")
        .first()
    )


def _since(previous: MatchingRound) -> dt.datetime:
    """When the previous round showed the chain: its report's build, else its matching, else its period."""
    report = getattr(previous, "report", None)
    if report is not None and report.built_at is not None:
        return report.built_at
    if previous.matched_at is not None:
        return previous.matched_at
    return timezone.make_aware(dt.datetime.combine(previous.period, dt.time.min))


def _history_at(model: type[Node] | type[Edge], moment: dt.datetime, chain_ids: list[int]) -> Any:
    return (
        model.history.filter(chain_id__in=chain_ids, history_date__lte=moment)
        .latest_of_each()
        .exclude(history_type="-")
    )


def _changes(*, chain_ids: list[int], previous: MatchingRound | None, until: dt.datetime) -> dict[str, Any]:
    """Nodes and edges added, removed or renamed between the previous round of the subject and now,
    from the history tables (rows bulk-loaded without history do not show)."""
    if previous is None:
        return {"previous": None}
    since = _since(previous)
    before = {row["id"]: row for row in _history_at(Node, since, chain_ids).values("id", "code", "name")}
    after = {row["id"]: row for row in _history_at(Node, until, chain_ids).values("id", "code", "name")}
    codes = {pk: row["code"] for pk, row in {**before, **after}.items()}

    def edge_set(moment: dt.datetime) -> set[tuple[str, str, str]]:
        return {
            (codes.get(source, str(source)), codes.get(target, str(target)), kind)
            for source, target, kind in _history_at(Edge, moment, chain_ids).values_list(
                "source_id", "target_id", "kind"
            )
        }

    edges_before, edges_after = edge_set(since), edge_set(until)

    def node(row: dict[str, Any]) -> dict[str, str]:
        return {"code": row["code"], "name": row["name"]}

    return {
        "previous": {"id": previous.pk, "period": previous.period.isoformat(), "subject": previous.kind},
        "since": _iso(since),
        "until": _iso(until),
        "nodes_added": sorted((node(after[pk]) for pk in after.keys() - before.keys()), key=lambda n: n["code"]),
        "nodes_removed": sorted((node(before[pk]) for pk in before.keys() - after.keys()), key=lambda n: n["code"]),
        "nodes_renamed": sorted(
            (
                {"code": after[pk]["code"], "old": before[pk]["name"], "new": after[pk]["name"]}
                for pk in after.keys() & before.keys()
                if before[pk]["name"] != after[pk]["name"] or before[pk]["code"] != after[pk]["code"]
            ),
            key=lambda n: n["code"],
        ),
        "edges_added": [{"source": s, "target": t, "kind": k} for s, t, k in sorted(edges_after - edges_before)],
        "edges_removed": [{"source": s, "target": t, "kind": k} for s, t, k in sorted(edges_before - edges_after)],
    }


def _projects(*, chain_ids: list[int]) -> list[dict[str, Any]]:
    """Joint projects on the chains, with weighted milestone progress: the section the ``projects``
    app registers (``chainmap.core.extensions``); empty without it. chainmap never imports projects."""
    return extensions.report_section_rows(extensions.JOINT_PROJECTS, chain_ids=chain_ids)


def _follow_up(previous: MatchingRound | None) -> dict[str, Any]:
    if previous is None:
        return {"previous": None, "counts": {}, "total": 0}
    counts = dict(
        Match.objects.filter(round=previous).values_list("outcome").annotate(n=Count("pk")).order_by("outcome")
    )
    return {
        "previous": {"id": previous.pk, "period": previous.period.isoformat()},
        "counts": {value: counts.get(value, 0) for value in Outcome.values},
        "total": sum(counts.values()),
    }


def _diagram_svg(matching_round: MatchingRound) -> str:

    if matching_round.chain_id is not None:
        diagram = current_diagram(chain_id=matching_round.chain_id)
    else:
        diagram = current_diagram(cluster_id=matching_round.cluster_id)
    svg = diagram.svg if diagram is not None else ""
    if not svg or len(svg) > MAX_DIAGRAM_BYTES:
        return ""
    start = svg.find("<svg")
    return svg[start:] if start >= 0 else ""


# --- presentation ---------------------------------------------------------------------------------


def _labels(choices: list[tuple[str, Any]]) -> dict[str, str]:
    return {str(value): str(label) for value, label in choices}


COMPONENT_LABELS = {
    "text": gettext_lazy("text"),
    "structure": gettext_lazy("chain structure"),
    "region": gettext_lazy("regional complementarity"),
    "qualification": gettext_lazy("qualifications"),
    "trl": gettext_lazy("TRL fit"),
}


def _display_time(value: str | None) -> str:
    """An ISO timestamp of the snapshot as people read it: ``2026-12-01 09:00``, Asia/Shanghai."""
    if not value:
        return ""
    try:
        moment = dt.datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return str(value)
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return f"{timezone.localtime(moment):%Y-%m-%d %H:%M}"


def report_context(
    snapshot: dict[str, Any],
    *,
    region: str | None = None,
    top_n: int | None = None,
    max_pairs: int | None = None,
    fold_after: int | None = None,
) -> dict[str, Any]:
    """What the templates and the spreadsheet show: the snapshot with labels in the active language,
    optionally narrowed to one region (candidates, pairs, gaps and single suppliers touching it), to
    the best ``top_n`` candidates of each target and to the first ``max_pairs`` cross-region pairs.

    ``fold_after`` (the web page): each target's first candidates in ``candidates``, the others in
    ``folded`` (shown behind a disclosure), nothing left out."""
    region_names = {row["code"]: row["name"] for row in snapshot.get("regions", [])}
    levels = _labels(Level.choices)
    segments = _labels(Segment.choices)
    statuses = _labels(BottleneckStatus.choices)
    outcomes = _labels(Outcome.choices)
    edge_kinds = _labels(EdgeKind.choices)
    project_statuses = extensions.report_section_status_labels(extensions.JOINT_PROJECTS)

    def keep(*codes: str | None) -> bool:
        return region is None or region in codes

    def decorate(targets: list[dict[str, Any]]) -> list[dict[str, Any]]:
        out = []
        for target in targets:
            rows = [
                {
                    **candidate,
                    "region_name": region_names.get(candidate["region"], candidate["region"]),
                    "outcome_label": outcomes.get(candidate["outcome"], "") if candidate["outcome"] else "",
                    "why": [
                        (str(COMPONENT_LABELS.get(name, name)), value)
                        for name, value in candidate["components"].items()
                    ],
                }
                for candidate in target["candidates"]
                if keep(candidate["region"], target.get("region"))
            ]
            if region is not None and not rows and target.get("region") != region:
                continue
            shown = rows[:top_n] if top_n else rows
            out.append(
                {
                    **target,
                    "status_label": statuses.get(target.get("status", ""), ""),
                    "region_name": region_names.get(target.get("region"), target.get("region") or ""),
                    "candidates": shown[:fold_after] if fold_after else shown,
                    "folded": shown[fold_after:] if fold_after else [],
                    "more": max(0, len(rows) - top_n) if top_n else 0,
                }
            )
        return out

    gaps = [
        {
            "code": code,
            "name": region_names.get(code, code),
            "nodes": [
                {
                    **row,
                    "level_label": levels.get(row["level"], row["level"]),
                    "segment_label": segments.get(row["segment"], ""),
                }
                for row in rows
            ],
        }
        for code, rows in snapshot.get("gaps", {}).items()
        if keep(code)
    ]
    # One row per node that is a gap in any region shown, a column per region: the print stays
    # one table of at most #nodes rows instead of one table per region.
    gap_table: dict[str, dict[str, Any]] = {}
    for group in gaps:
        for row in group["nodes"]:
            entry = gap_table.setdefault(
                row["code"],
                {"code": row["code"], "name": row["name"], "segment_label": row["segment_label"], "cells": {}},
            )
            entry["cells"][group["code"]] = row
    gap_rows = [
        {**entry, "cells": [entry["cells"].get(group["code"]) for group in gaps]} for entry in gap_table.values()
    ]
    changes = dict(snapshot.get("changes") or {"previous": None})
    changes["since_display"] = _display_time(changes.get("since"))
    for key in ("edges_added", "edges_removed"):
        changes[key] = [
            {**edge, "kind_label": edge_kinds.get(edge["kind"], edge["kind"])} for edge in changes.get(key, [])
        ]
    follow_up = snapshot.get("follow_up") or {"previous": None, "counts": {}, "total": 0}
    pairs = [
        {
            **pair,
            "demand_region_name": region_names.get(pair["demand_region"], pair["demand_region"]),
            "supply_region_name": region_names.get(pair["supply_region"], pair["supply_region"]),
        }
        for pair in snapshot.get("cross_region_pairs", [])
        if keep(pair["demand_region"], pair["supply_region"])
    ]
    return {
        "snapshot": snapshot,
        "round": snapshot["round"],
        "taken_at_display": _display_time(snapshot.get("taken_at")),
        "matched_at_display": _display_time(snapshot["round"].get("matched_at")),
        "region": region,
        "region_name": region_names.get(region or "", ""),
        "regions": snapshot.get("regions", []),
        "chains": snapshot.get("chains", []),
        "diagram_svg": snapshot.get("diagram_svg", ""),
        "bottlenecks": decorate(snapshot.get("bottlenecks", [])),
        "needs": decorate(snapshot.get("needs", [])),
        "cross_region_pairs": pairs[:max_pairs] if max_pairs else pairs,
        "pairs_more": max(0, len(pairs) - max_pairs) if max_pairs else 0,
        "gaps": gaps,
        "gap_rows": gap_rows,
        "single_supplier_nodes": [
            {**row, "region_name": region_names.get(row["region"], row["region"])}
            for row in snapshot.get("single_supplier_nodes", [])
            if keep(row["region"])
        ],
        "changes": changes,
        "bottleneck_status": [
            (statuses.get(code, code), count) for code, count in snapshot.get("bottleneck_status", {}).items()
        ],
        "projects": [
            {
                **row,
                "status_label": project_statuses.get(row["status"], row["status"]),
                "lead_region_name": region_names.get(row["lead_region"], row["lead_region"]),
            }
            for row in snapshot.get("projects", [])
        ],
        "follow_up": {
            **follow_up,
            "rows": [(outcomes.get(code, code), count) for code, count in follow_up.get("counts", {}).items()],
        },
    }


# --- rendering ------------------------------------------------------------------------------------


def render_html(snapshot: dict[str, Any]) -> str:
    """The standalone, print-friendly page (what the PDF is made from)."""
    config = _config()
    context = report_context(snapshot, top_n=config["PRINT_TOP_N"], max_pairs=config["PRINT_MAX_PAIRS"])
    context["print_css"] = _print_css()
    return render_to_string("chainmap/reports/report.html", context)


def _print_css() -> str:

    css = (Path(settings.BASE_DIR) / "static" / "css" / "report.css").read_text(encoding="utf-8")
    # The detected CJK family first, so WeasyPrint embeds it rather than a fallback without Chinese.
    family = fonts.cjk_font()
    if family:
        css = f'body {{ font-family: "{family}", "Noto Sans CJK SC", "WenQuanYi Micro Hei", sans-serif; }}\n' + css
    return css


def _static_roots() -> list[Path]:
    roots = [Path(path).resolve() for path in settings.STATICFILES_DIRS]
    if settings.STATIC_ROOT:
        roots.append(Path(settings.STATIC_ROOT).resolve())
    return roots


def _url_fetcher_class() -> type:
    from weasyprint.urls import URLFetcher

    class LocalOnlyFetcher(URLFetcher):
        """Only ``data:`` URLs and files under the static directories: a report never fetches
        anything from the network (intranet servers, and no server-side request forgery)."""

        refused: list[str]

        def __init__(self) -> None:
            super().__init__(allowed_protocols=("data", "file"), allow_redirects=False)
            self.refused = []

        def fetch(self, url: str, headers: Any = None) -> Any:
            if not report_url_allowed(url):
                self.refused.append(url)
                logger.warning("report PDF: refused to fetch %s", url[:200])
                raise ValueError(f"refused URL in a report: {url[:200]}")
            return super().fetch(url, headers)

    return LocalOnlyFetcher


def report_url_allowed(url: str) -> bool:
    """``data:`` URLs and ``file:`` URLs of files inside the static directories; nothing else."""
    scheme = url.split(":", 1)[0].lower()
    if scheme == "data":
        return True
    if scheme != "file":
        return False
    from urllib.parse import unquote, urlsplit

    path = Path(unquote(urlsplit(url).path)).resolve()
    return any(path.is_relative_to(root) for root in _static_roots())


def render_pdf(html: str) -> bytes:
    """PDF bytes of a report page: fonts embedded by WeasyPrint, no remote fetches."""
    from weasyprint import HTML
    from weasyprint.text.fonts import FontConfiguration

    # Page-by-page progress at INFO and the diagram's repeated SVG anchors would flood the worker log.
    logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)
    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    fetcher = _url_fetcher_class()()
    base_url = (Path(settings.BASE_DIR) / "static").resolve().as_uri() + "/"
    return HTML(string=html, base_url=base_url, url_fetcher=fetcher).write_pdf(font_config=FontConfiguration())


_SHEET_NAME_BAD = re.compile(r"[\[\]:*?/\\]")


def render_xlsx(snapshot: dict[str, Any]) -> bytes:
    """One sheet per section; every text cell passes ``escape_cell``, the formula rule exports share."""
    import xlsxwriter

    context = report_context(snapshot)
    buffer = io.BytesIO()
    # XlsxWriter streams rows (constant memory) and never guesses: a text cell stays text, not a
    # formula, a number or a link, whatever it starts with.
    workbook = xlsxwriter.Workbook(
        buffer,
        {
            "in_memory": True,
            "constant_memory": True,
            "strings_to_formulas": False,
            "strings_to_numbers": False,
            "strings_to_urls": False,
        },
    )

    def sheet(title: str, header: list[str], rows: list[list[Any]]) -> None:
        ws = workbook.add_worksheet(_SHEET_NAME_BAD.sub(" ", title)[:31])
        ws.freeze_panes(1, 0)
        ws.write_row(0, 0, [str(h) for h in header])
        for index, row in enumerate(rows, start=1):
            ws.write_row(index, 0, [escape_cell(value) for value in row])

    round_info = context["round"]
    sheet(
        _("Summary"),
        [_("Item"), _("Value")],
        [
            [_("Round"), f"{round_info['period'][:7]} {round_info['subject']}"],
            [_("Snapshot taken"), context["taken_at_display"]],
            [_("Open bottlenecks"), len(context["bottlenecks"])],
            [_("Technology needs"), len(context["needs"])],
            [_("Cross-region pairs"), len(context["cross_region_pairs"])],
            [_("Single-supplier nodes"), len(context["single_supplier_nodes"])],
        ]
        + [[label, count] for label, count in context["bottleneck_status"]],
    )
    candidate_header = [
        _("Rank"),
        _("Enterprise"),
        _("Credit code"),
        _("Region"),
        _("Offer"),
        _("Score"),
        *[str(label) for label in COMPONENT_LABELS.values()],
        _("Matched terms"),
        _("Outcome"),
    ]

    def candidate_cells(candidate: dict[str, Any]) -> list[Any]:
        return [
            candidate["rank"],
            candidate["enterprise"],
            candidate["credit_code"],
            candidate["region_name"],
            candidate["offer"],
            candidate["score"],
            *[candidate["components"].get(name, 0) for name in COMPONENT_LABELS],
            "、".join(candidate["matched_terms"]),
            candidate["outcome_label"],
        ]

    sheet(
        _("Bottleneck candidates"),
        [
            _("Bottleneck"),
            _("Title"),
            _("Raised by"),
            pgettext("report column: node codes", "Nodes"),
            *candidate_header,
        ],
        [
            [target["code"], target["title"], target["region_name"], " ".join(target["nodes"]), *candidate_cells(c)]
            for target in context["bottlenecks"]
            for c in target["candidates"]
        ],
    )
    sheet(
        _("Need candidates"),
        [_("Technology need"), _("Needed by"), _("Region"), _("Node"), *candidate_header],
        [
            [target["title"], target["enterprise"], target["region_name"], target["node"], *candidate_cells(c)]
            for target in context["needs"]
            for c in target["candidates"]
        ],
    )
    sheet(
        _("Cross-region pairs"),
        [_("Demand"), _("Demand region"), _("Supplier"), _("Supply region"), _("Rank"), _("Score")],
        [
            [p["target"], p["demand_region_name"], p["supplier"], p["supply_region_name"], p["rank"], p["score"]]
            for p in context["cross_region_pairs"]
        ],
    )
    sheet(
        _("Gap nodes"),
        [_("Region"), _("Node"), _("Name"), _("Segment"), _("Assessment"), _("Confirmed enterprises")],
        [
            [group["name"], row["code"], row["name"], row["segment_label"], row["level_label"], row["enterprises"]]
            for group in context["gaps"]
            for row in group["nodes"]
        ],
    )
    sheet(
        _("Single-supplier nodes"),
        [_("Node"), _("Name"), _("Enterprise"), _("Region")],
        [[r["code"], r["name"], r["enterprise"], r["region_name"]] for r in context["single_supplier_nodes"]],
    )
    changes = context["changes"]
    change_rows: list[list[Any]] = []
    for row in changes.get("nodes_added", []):
        change_rows.append([_("Node added"), row["code"], row["name"]])
    for row in changes.get("nodes_removed", []):
        change_rows.append([_("Node removed"), row["code"], row["name"]])
    for row in changes.get("nodes_renamed", []):
        change_rows.append([_("Node renamed"), row["code"], f"{row['old']} → {row['new']}"])
    for row in changes.get("edges_added", []):
        change_rows.append([_("Edge added"), f"{row['source']} → {row['target']}", row["kind_label"]])
    for row in changes.get("edges_removed", []):
        change_rows.append([_("Edge removed"), f"{row['source']} → {row['target']}", row["kind_label"]])
    sheet(_("Changes"), [_("Change"), _("What"), _("Detail")], change_rows)
    sheet(
        _("Joint projects"),
        [_("Code"), _("Title"), _("Batch"), _("Status"), _("Lead unit"), _("Lead region"), _("Progress (%)")],
        [
            [p["code"], p["title"], p["batch"], p["status_label"], p["lead_unit"], p["lead_region_name"], p["progress"]]
            for p in context["projects"]
        ],
    )
    sheet(_("Follow-up"), [_("Outcome"), _("Matches")], [[label, n] for label, n in context["follow_up"]["rows"]])
    workbook.close()
    return buffer.getvalue()


# --- download names -------------------------------------------------------------------------------

# The programmes' own names, whatever the page's language: they are what people call the rounds.
_KIND_NAMES: dict[str, str] = {RoundKind.CHAIN_MONTH: "一月一链", RoundKind.CLUSTER_QUARTER: "一季一群"}
_KIND_SLUGS: dict[str, str] = {RoundKind.CHAIN_MONTH: "chain-month", RoundKind.CLUSTER_QUARTER: "cluster-quarter"}
# Characters no file system or mail client takes in a name, control characters, and whitespace.
_NAME_BAD = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|;,\s]+')
_ASCII_BAD = re.compile(r"[^A-Za-z0-9._-]+")


def _name_part(text: str, *, ascii_only: bool) -> str:
    part = _ASCII_BAD.sub("-", text) if ascii_only else _NAME_BAD.sub("-", text)
    return part.strip("-.")[:60]


def report_filename(matching_round: MatchingRound, extension: str, *, ascii_only: bool = False) -> str:
    """The name a round's report file is downloaded or attached under, e.g.
    ``chainmap-2026-12-氢能-一月一链.pdf`` or ``chainmap-2026-Q4-京津冀生物医药-一季一群.xlsx``;
    ``ascii_only``: ``chainmap-2026-12-hydrogen-chain-month.pdf`` (the subject's slug), the fallback
    for clients that do not read RFC 5987 names. Used by the download views and the report mail."""
    subject = matching_round.chain or matching_round.cluster
    if matching_round.kind == RoundKind.CLUSTER_QUARTER:
        period = f"{matching_round.period:%Y}-Q{(matching_round.period.month - 1) // 3 + 1}"
    else:
        period = f"{matching_round.period:%Y-%m}"
    if ascii_only:
        parts = [period, getattr(subject, "slug", "") or "", _KIND_SLUGS.get(matching_round.kind, "round")]
    else:
        parts = [period, getattr(subject, "name", "") or "", _KIND_NAMES.get(matching_round.kind, "")]
    stem = "-".join(p for p in (_name_part(part, ascii_only=ascii_only) for part in parts) if p)
    return f"chainmap-{stem}.{extension}"


def report_content_disposition(matching_round: MatchingRound, extension: str) -> str:
    """``attachment`` with an ASCII ``filename`` and the readable name as RFC 5987 ``filename*``."""
    from urllib.parse import quote

    fallback = report_filename(matching_round, extension, ascii_only=True)
    readable = report_filename(matching_round, extension)
    if readable == fallback:
        return f'attachment; filename="{fallback}"'
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(readable, safe='')}"


# --- build ----------------------------------------------------------------------------------------


def _file_name(report: Report, extension: str) -> str:
    matching_round = report.round
    stem = f"{matching_round.period:%Y-%m}-{matching_round.kind}-{matching_round.pk}"
    return f"reports/{stem}-{uuid.uuid4().hex[:12]}.{extension}"


def _claim(report_id: int) -> dt.datetime | None:
    """Mark the report building, unless another worker is building it (and is not stale)."""
    now = timezone.now()
    stale = now - dt.timedelta(seconds=_config()["BUILD_TIMEOUT_SECONDS"])
    claimed = (
        Report.objects.filter(pk=report_id)
        .filter(~Q(status=ReportStatus.BUILDING) | Q(updated_at__lt=stale))
        .update(status=ReportStatus.BUILDING, updated_at=now, error="")
    )
    return now if claimed else None


def report_build(*, round_id: int, refresh: bool = False) -> Report:
    """Build (or rebuild) the round's report: snapshot frozen once, HTML, PDF and XLSX from it.

    Returns the report, ``ready`` or ``failed`` (with ``error``); when another worker is building
    it, returns it untouched (``building``)."""
    MatchingRound.objects.only("pk").get(pk=round_id)  # DoesNotExist for a wrong id, before any write
    report, _created = Report.objects.get_or_create(round_id=round_id)
    claimed_at = _claim(report.pk)
    if claimed_at is None:
        logger.info("report of round %s is being built by another worker", round_id)
        report.refresh_from_db()
        return report
    try:
        report.refresh_from_db()
        if refresh or not report.snapshot:
            snapshot = report_snapshot(round_id=round_id)
            Report.objects.filter(pk=report.pk).update(snapshot=snapshot)
            report.snapshot = snapshot
        with translation.override(settings.LANGUAGE_CODE):
            html = render_html(report.snapshot)
            pdf = render_pdf(html)
            xlsx = render_xlsx(report.snapshot)
        pdf_name = default_storage.save(_file_name(report, "pdf"), ContentFile(pdf))
        xlsx_name = default_storage.save(_file_name(report, "xlsx"), ContentFile(xlsx))
    except Exception as exc:
        logger.exception("building the report of round %s failed", round_id)
        Report.objects.filter(pk=report.pk, updated_at=claimed_at).update(
            status=ReportStatus.FAILED, error=f"{type(exc).__name__}: {exc}"[:2000], updated_at=timezone.now()
        )
        report.refresh_from_db()
        return report
    old = (report.pdf.name, report.xlsx.name)
    with transaction.atomic():
        updated = Report.objects.filter(pk=report.pk, updated_at=claimed_at).update(
            status=ReportStatus.READY,
            html=html,
            pdf=pdf_name,
            xlsx=xlsx_name,
            built_at=timezone.now(),
            error="",
            updated_at=timezone.now(),
        )
        # Old files go once nobody can be pointed at them any more; a lost claim drops the new ones.
        stale_files = [name for name in old if name] if updated else [pdf_name, xlsx_name]
        transaction.on_commit(lambda: _delete_files(stale_files))
    report.refresh_from_db()
    return report


def _delete_files(names: list[str]) -> None:
    for name in names:
        try:
            default_storage.delete(name)
        except OSError:
            logger.warning("could not delete old report file %s", name)


def report_ensure(*, round_id: int) -> Report:
    """The round's ready report, built if it is not (the scheduled job: a second run builds nothing)."""
    report = Report.objects.filter(round_id=round_id).first()
    if report is not None and report.status == ReportStatus.READY and report.pdf and report.xlsx:
        return report
    return report_build(round_id=round_id)
