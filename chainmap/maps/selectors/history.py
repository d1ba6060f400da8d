"""Reads for history and time travel: one object's history, a chain's merged history, the chain as
of a past date, and what changed between two dates. Each in a constant number of queries.

History rows come from django-simple-history. Changed fields are found with ``diff_against`` and
shown as people read them: choice labels, related rows by code or name (a deleted related row by
its last historical values), dates in Asia/Shanghai.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.core.paginator import Page, Paginator
from django.db import models
from django.db.models import CharField, OuterRef, Q, QuerySet, Subquery, Value
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from chainmap.core.actors import Actor, User
from chainmap.diagrams.selectors import HistoriedModel, end_of_day, rows_as_of
from chainmap.models import (
    SEGMENT_ORDER,
    Bottleneck,
    Chain,
    Edge,
    Enterprise,
    LeadershipTerm,
    Node,
    Placement,
    Region,
    Segment,
)

PAGE_SIZE = 50
EMPTY = "—"

# What each history page shows of a record: its own fields, never ids, versions or the chain.
KIND_FIELDS: dict[str, tuple[str, ...]] = {
    "node": ("code", "name", "segment", "parent", "description", "key_technologies", "position"),
    "edge": ("source", "target", "kind", "note"),
    "placement": (
        "enterprise",
        "node",
        "role",
        "evidence",
        "status",
        "proposed_by",
        "reviewed_by",
        "reviewed_at",
        "review_comment",
    ),
    "bottleneck": (
        "code",
        "title",
        "description",
        "raised_by",
        "severity",
        "mechanism",
        "status",
        "target_date",
        "nodes",
    ),
    "term": ("region", "starts_on", "ends_on", "opened_at", "closed_at"),
}
KIND_MODELS: dict[str, type[HistoriedModel]] = {
    "node": Node,
    "edge": Edge,
    "placement": Placement,
    "bottleneck": Bottleneck,
    "term": LeadershipTerm,
}
KIND_LABELS = {
    "node": _("Node"),
    "edge": _("Edge"),
    "placement": _("Placement"),
    "bottleneck": _("Bottleneck"),
    "term": _("Leadership term"),
}
ACTION_LABELS = {"+": _("Created"), "~": _("Changed"), "-": _("Deleted")}

# Compared between two dates: the fields that make the map (not layout position or reviews).
NODE_DIFF_FIELDS = ("code", "name", "segment", "parent", "description", "key_technologies")
EDGE_DIFF_FIELDS = ("kind", "note")
PLACEMENT_DIFF_FIELDS = ("role", "evidence")


@dataclass(frozen=True)
class FieldChange:
    field: str
    label: str
    before: str
    after: str


@dataclass(frozen=True)
class HistoryEntry:
    """One historical record: who did what when and why, and the fields it changed."""

    kind: str
    kind_label: str
    object_id: int
    object_label: str
    history_id: int
    at: dt.datetime
    user: str
    reason: str
    action: str
    action_label: str
    changes: list[FieldChange]
    url: str


def history_url(kind: str, object_label_key: str | int) -> str:
    """The history page of one object (nodes and bottlenecks by code, the rest by id)."""
    if kind in ("node", "bottleneck"):
        return reverse(f"chainmap:history_{kind}", kwargs={"code": object_label_key})
    return reverse(f"chainmap:history_{kind}", kwargs={"pk": object_label_key})


# --- display values ------------------------------------------------------------------------------


def user_display(user: User | None) -> str:
    if user is None:
        return str(_("System"))
    full = f"{user.last_name}{user.first_name}".strip()
    return full or user.get_username()


def _model_field(model: type[models.Model], name: str) -> models.Field:
    """The model's own field ``name`` (the names used here are never reverse relations)."""
    model_field = model._meta.get_field(name)
    assert isinstance(model_field, models.Field)
    return model_field


def _related_model(model_field: models.ForeignKey) -> type[models.Model]:
    """The model a foreign key points to (a class once the app registry is ready, never ``"self"``)."""
    related = model_field.related_model
    assert not isinstance(related, str)
    return related


class _Refs:
    """Display labels of related rows, loaded in one query per related model (two for models whose
    rows may be deleted: the history table supplies their last known values)."""

    def __init__(self) -> None:
        self.wanted: dict[type[models.Model], set[int]] = defaultdict(set)
        self.labels: dict[type[models.Model], dict[int, str]] = {}

    def want(self, model: type[models.Model], pk: Any) -> None:
        if pk is not None:
            self.wanted[model].add(pk)

    def want_row(self, history_model: type[models.Model], row: Any, names: Iterable[str]) -> None:
        for name in names:
            model_field = history_model._meta.get_field(name)
            if isinstance(model_field, models.ForeignKey):
                self.want(_related_model(model_field), getattr(row, model_field.attname))

    def load(self) -> None:
        for model, ids in self.wanted.items():
            self.labels[model] = _labels(model, ids)

    def label(self, model: type[models.Model], pk: Any) -> str:
        if pk is None:
            return EMPTY
        return self.labels.get(model, {}).get(pk) or f"#{pk}"


def _labels(model: type[models.Model], ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    if model is Node:
        found = {
            pk: f"{code} {name}" for pk, code, name in Node.objects.filter(pk__in=ids).values_list("pk", "code", "name")
        }
        missing = ids - found.keys()
        if missing:
            for row in Node.history.filter(id__in=missing).order_by("history_date", "history_id"):
                found[row.id] = f"{row.code} {row.name}"
        return found
    if model is Enterprise:
        found = dict(Enterprise.objects.filter(pk__in=ids).values_list("pk", "name"))
        missing = ids - found.keys()
        if missing:
            for pk, name in (
                Enterprise.history.filter(id__in=missing)
                .order_by("history_date", "history_id")
                .values_list("id", "name")
            ):
                found[pk] = name
        return found
    if model is User:
        return {user.pk: user_display(user) for user in User.objects.filter(pk__in=ids)}
    if model in (Region, Chain):
        return dict(model._default_manager.filter(pk__in=ids).values_list("pk", "name"))
    return {obj.pk: str(obj) for obj in model._default_manager.filter(pk__in=ids)}


def _format(model_field: models.Field, value: Any, refs: _Refs) -> str:
    if isinstance(model_field, models.ForeignKey):
        return refs.label(_related_model(model_field), value)
    if value is None or value == "":
        return EMPTY
    if model_field.choices:
        return str(dict(model_field.flatchoices).get(value, value))
    if isinstance(value, bool):
        return str(_("Yes") if value else _("No"))
    if isinstance(value, dt.datetime):
        return date_format(timezone.localtime(value), "Y-m-d H:i")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _field_value(history_model: type[models.Model], row: Any, name: str, refs: _Refs) -> str:
    model_field = _model_field(history_model, name)
    return _format(model_field, getattr(row, model_field.attname), refs)


def _label(history_model: type[models.Model], name: str) -> str:
    return str(_model_field(history_model, name).verbose_name)


def describe_changes(*, record: Any, previous: Any, names: Sequence[str]) -> list[tuple[str, str, str]]:
    """(label, before, after) of the named fields between two historical rows of one object, as a
    person reads them: the field's verbose name, choice labels, related rows by name, local times."""
    history_model = type(record)
    refs = _Refs()
    for row in (record, previous):
        refs.want_row(history_model, row, names)
    refs.load()
    return [
        (
            _label(history_model, name),
            _field_value(history_model, previous, name, refs),
            _field_value(history_model, record, name, refs),
        )
        for name in names
    ]


# --- history entries ------------------------------------------------------------------------------


def _with_previous(queryset: QuerySet) -> QuerySet:
    """Each record with the id of the same object's record before it (ties broken by id)."""
    model = queryset.model
    earlier = model._default_manager.filter(id=OuterRef("id")).filter(
        Q(history_date__lt=OuterRef("history_date"))
        | Q(history_date=OuterRef("history_date"), history_id__lt=OuterRef("history_id"))
    )
    return queryset.annotate(
        previous_id=Subquery(earlier.order_by("-history_date", "-history_id").values("history_id")[:1])
    )


def _object_label(kind: str, row: Any, refs: _Refs) -> str:
    if kind == "node":
        return f"{row.code} {row.name}"
    if kind == "edge":
        return f"{refs.label(Node, row.source_id)} → {refs.label(Node, row.target_id)}"
    if kind == "placement":
        return f"{refs.label(Enterprise, row.enterprise_id)} @ {refs.label(Node, row.node_id)}"
    if kind == "bottleneck":
        return f"{row.code} {row.title}"
    return f"{refs.label(Region, row.region_id)} {row.starts_on.isoformat()} – {row.ends_on.isoformat()}"


def _url_key(kind: str, row: Any) -> str | int:
    return row.code if kind in ("node", "bottleneck") else row.id


def _entries(kind: str, records: Sequence[Any]) -> list[HistoryEntry]:
    """Entries for records of one kind, newest first as given: three queries plus the labels."""
    history_model = KIND_MODELS[kind].history.model
    names = KIND_FIELDS[kind]
    m2m = [name for name in names if isinstance(KIND_MODELS[kind]._meta.get_field(name), models.ManyToManyField)]
    plain = [name for name in names if name not in m2m]
    previous_ids = [record.previous_id for record in records if record.previous_id is not None]
    previous = {row.history_id: row for row in history_model._default_manager.filter(history_id__in=previous_ids)}
    refs = _Refs()
    links: dict[int, set[int]] = defaultdict(set)
    if m2m:
        through = apps.get_model("chainmap", f"Historical{KIND_MODELS[kind].__name__}_{m2m[0]}")
        all_ids = [record.history_id for record in records] + previous_ids
        for history_id, node_id in through.objects.filter(history_id__in=all_ids).values_list("history_id", "node_id"):
            links[history_id].add(node_id)
            refs.want(Node, node_id)
    for row in (*records, *previous.values()):
        refs.want_row(history_model, row, plain)
    refs.load()

    entries = []
    for record in records:
        before = previous.get(record.previous_id) if record.previous_id is not None else None
        changes: list[FieldChange] = []
        if record.history_type == "+" or before is None:
            for name in plain:
                value = _field_value(history_model, record, name, refs)
                if value != EMPTY:
                    changes.append(FieldChange(name, _label(history_model, name), EMPTY, value))
        elif record.history_type == "~":
            delta = record.diff_against(before, included_fields=plain)
            for change in delta.changes:
                changes.append(
                    FieldChange(
                        change.field,
                        _label(history_model, change.field),
                        _field_value(history_model, before, change.field, refs),
                        _field_value(history_model, record, change.field, refs),
                    )
                )
        for name in m2m:
            old_set = links.get(before.history_id, set()) if before is not None else set()
            new_set = links.get(record.history_id, set())
            if record.history_type != "-" and old_set != new_set:
                changes.append(
                    FieldChange(
                        name,
                        _label(KIND_MODELS[kind], name),
                        "、".join(sorted(refs.label(Node, pk) for pk in old_set)) or EMPTY,
                        "、".join(sorted(refs.label(Node, pk) for pk in new_set)) or EMPTY,
                    )
                )
        entries.append(
            HistoryEntry(
                kind=kind,
                kind_label=str(KIND_LABELS[kind]),
                object_id=record.id,
                object_label=_object_label(kind, record, refs),
                history_id=record.history_id,
                at=timezone.localtime(record.history_date),
                user=user_display(record.history_user),
                reason=record.history_change_reason or "",
                action=record.history_type,
                action_label=str(ACTION_LABELS.get(record.history_type, record.history_type)),
                changes=changes,
                url=history_url(kind, _url_key(kind, record)),
            )
        )
    return entries


@dataclass(frozen=True)
class ObjectHistory:
    kind: str
    kind_label: str
    object_id: int
    label: str
    deleted: bool
    page: Page


def object_history(*, kind: str, object_id: int, page_number: Any = 1) -> ObjectHistory:
    """One object's history, newest first, paginated; works for deleted objects too (six queries
    or so, whatever the number of records)."""
    model = KIND_MODELS[kind]
    records = model.history.filter(id=object_id).select_related("history_user").order_by("-history_date", "-history_id")
    page = Paginator(_with_previous(records), PAGE_SIZE).get_page(page_number)
    entries = _entries(kind, list(page.object_list))
    page.object_list = entries
    if page.number == 1 or not entries:
        latest = entries[0] if entries else None
    else:  # a later page: the object's name and state come from its newest record
        latest = _entries(kind, [_with_previous(records).first()])[0]
    label = latest.object_label if latest is not None else ""
    deleted = latest is not None and latest.action == "-"
    return ObjectHistory(
        kind=kind, kind_label=str(KIND_LABELS[kind]), object_id=object_id, label=label, deleted=deleted, page=page
    )


def _chain_sources(chain_id: int) -> dict[str, QuerySet]:
    """The historical rows of everything belonging to one chain, by kind."""
    ever_nodes = Node.history.filter(chain_id=chain_id).values("id")
    live_nodes = Node.objects.filter(chain_id=chain_id).values("id")
    return {
        "node": Node.history.filter(chain_id=chain_id),
        "edge": Edge.history.filter(chain_id=chain_id),
        "placement": Placement.history.filter(Q(node_id__in=ever_nodes) | Q(node_id__in=live_nodes)),
        "bottleneck": Bottleneck.history.filter(chain_id=chain_id),
        "term": LeadershipTerm.history.filter(chain_id=chain_id),
    }


def chain_history(*, chain_id: int, page_number: Any = 1, page_size: int = PAGE_SIZE) -> Page:
    """Every change to the chain's nodes, edges, placements, bottlenecks and terms, newest first.

    One UNION query pages the merged list (plus its count); then each kind on the page costs a
    fixed number of queries, whatever the page size.
    """
    sources = _chain_sources(chain_id)
    # Each part drops the history models' default ordering: SQLite refuses ORDER BY inside a compound
    # statement's parts (PostgreSQL tolerated it); the merged list is ordered once, outside.
    parts = [
        queryset.order_by()
        .annotate(record_kind=Value(kind, output_field=CharField()))
        .values_list("record_kind", "history_id", "history_date")
        for kind, queryset in sources.items()
    ]
    merged = parts[0].union(*parts[1:], all=True).order_by("-history_date", "-history_id")
    page = Paginator(merged, page_size).get_page(page_number)
    keys = list(page.object_list)
    by_kind: dict[str, list[int]] = defaultdict(list)
    for kind, history_id, _date in keys:
        by_kind[kind].append(history_id)
    built: dict[tuple[str, int], HistoryEntry] = {}
    for kind, ids in by_kind.items():
        records = list(
            _with_previous(KIND_MODELS[kind].history.filter(history_id__in=ids).select_related("history_user"))
        )
        for entry in _entries(kind, records):
            built[(kind, entry.history_id)] = entry
    page.object_list = [built[(kind, history_id)] for kind, history_id, _date in keys]
    return page


# --- the chain as of a date, and between two dates --------------------------------------------------


@dataclass(frozen=True)
class ChainState:
    """The chain's map at the end of one day: rows keyed by node id, (source, target) and placement id."""

    day: dt.date
    nodes: dict[int, dict[str, Any]]
    edges: dict[tuple[int, int], dict[str, Any]]
    placements: dict[int, dict[str, Any]]


NODE_COLUMNS = ("id", "code", "name", "segment", "parent_id", "position", "description", "key_technologies")
EDGE_COLUMNS = ("id", "source_id", "target_id", "kind", "note")
PLACEMENT_COLUMNS = ("id", "enterprise_id", "node_id", "role", "evidence", "status")


def chain_state(*, chain_id: int, day: dt.date, today: dt.date | None = None) -> ChainState:
    """Nodes, edges and confirmed placements at the end of ``day`` (three queries).

    Today and later read the live tables, like the diff diagram does for its "to" side, so rows
    loaded without history still show; past days come from the history tables.
    """
    today = today or timezone.localdate()
    # Live rows today and later, historical rows (of the untyped history models) before.
    nodes: QuerySet[models.Model]
    edges: QuerySet[models.Model]
    placements: QuerySet[models.Model]
    if day >= today:
        nodes = Node.objects.filter(chain_id=chain_id)
        edges = Edge.objects.filter(chain_id=chain_id)
        placements = Placement.objects.filter(node__chain_id=chain_id)
    else:
        moment = end_of_day(day)
        nodes = rows_as_of(Node, moment).filter(chain_id=chain_id)
        edges = rows_as_of(Edge, moment).filter(chain_id=chain_id)
        placements = rows_as_of(Placement, moment).filter(node_id__in=nodes.values("id"))
    node_rows = {row["id"]: row for row in nodes.values(*NODE_COLUMNS)}
    edge_rows = {(row["source_id"], row["target_id"]): row for row in edges.values(*EDGE_COLUMNS)}
    placement_rows = {
        row["id"]: row
        for row in placements.filter(status=Placement.Status.CONFIRMED).values(*PLACEMENT_COLUMNS)
        if row["node_id"] in node_rows
    }
    return ChainState(day=day, nodes=node_rows, edges=edge_rows, placements=placement_rows)


def _enterprise_infos(ids: set[int]) -> dict[int, tuple[str, str]]:
    """enterprise id → (name, region code), from the history table for deleted enterprises."""
    infos = {
        pk: (name, code)
        for pk, name, code in Enterprise.objects.filter(pk__in=ids).values_list("pk", "name", "region__code")
    }
    missing = ids - infos.keys()
    if missing:
        regions = dict(Region.objects.values_list("pk", "code"))
        for pk, name, region_id in (
            Enterprise.history.filter(id__in=missing)
            .order_by("history_date", "history_id")
            .values_list("id", "name", "region_id")
        ):
            infos[pk] = (name, regions.get(region_id, ""))
    return infos


def _node_label(row: dict[str, Any] | None) -> str:
    return f"{row['code']} {row['name']}" if row is not None else EMPTY


@dataclass(frozen=True)
class NodeLine:
    id: int
    code: str
    name: str
    parent: str
    url: str


@dataclass(frozen=True)
class SegmentNodes:
    segment: str
    label: str
    nodes: list[NodeLine]


@dataclass(frozen=True)
class EdgeLine:
    source: str
    target: str
    kind: str


@dataclass(frozen=True)
class PlacementLine:
    enterprise: str
    region: str
    node: str
    role: str


@dataclass(frozen=True)
class ChainAsOf:
    day: dt.date
    segments: list[SegmentNodes]
    edges: list[EdgeLine]
    placements: list[PlacementLine]

    @property
    def is_empty(self) -> bool:
        return not any(block.nodes for block in self.segments) and not self.edges and not self.placements


def _choice_label(model: type[models.Model], name: str, value: Any) -> str:
    return _format(_model_field(model, name), value, _Refs())


def chain_as_of(*, chain_id: int, day: dt.date, today: dt.date | None = None) -> ChainAsOf:
    """The chain at the end of ``day``: nodes by segment, edges and confirmed placements (about five queries)."""
    state = chain_state(chain_id=chain_id, day=day, today=today)
    segments = []
    for segment in sorted(Segment, key=lambda s: SEGMENT_ORDER[s]):
        rows = sorted(
            (row for row in state.nodes.values() if row["segment"] == segment),
            key=lambda row: (row["position"], row["code"]),
        )
        lines = [
            NodeLine(
                id=row["id"],
                code=row["code"],
                name=row["name"],
                parent=_node_label(state.nodes.get(row["parent_id"])) if row["parent_id"] else "",
                url=history_url("node", row["code"]),
            )
            for row in rows
        ]
        segments.append(SegmentNodes(segment=segment, label=str(segment.label), nodes=lines))
    edges = [
        EdgeLine(
            source=_node_label(state.nodes.get(source)),
            target=_node_label(state.nodes.get(target)),
            kind=_choice_label(Edge, "kind", row["kind"]),
        )
        for (source, target), row in sorted(
            state.edges.items(),
            key=lambda item: (_node_label(state.nodes.get(item[0][0])), _node_label(state.nodes.get(item[0][1]))),
        )
    ]
    firms = _enterprise_infos({row["enterprise_id"] for row in state.placements.values()})
    placements = sorted(
        (
            PlacementLine(
                enterprise=firms.get(row["enterprise_id"], (f"#{row['enterprise_id']}", ""))[0],
                region=firms.get(row["enterprise_id"], ("", ""))[1],
                node=_node_label(state.nodes.get(row["node_id"])),
                role=_choice_label(Placement, "role", row["role"]),
            )
            for row in state.placements.values()
        ),
        key=lambda line: (line.node, line.enterprise, line.role),
    )
    return ChainAsOf(day=day, segments=segments, edges=edges, placements=placements)


@dataclass(frozen=True)
class ChangedItem:
    label: str
    changes: list[FieldChange] = field(default_factory=list)


@dataclass(frozen=True)
class ChangeSet:
    added: list[ChangedItem]
    removed: list[ChangedItem]
    changed: list[ChangedItem]

    @property
    def count(self) -> int:
        return len(self.added) + len(self.removed) + len(self.changed)


@dataclass(frozen=True)
class ChainChanges:
    from_date: dt.date
    to_date: dt.date
    nodes: ChangeSet
    edges: ChangeSet
    placements: ChangeSet

    @property
    def count(self) -> int:
        return self.nodes.count + self.edges.count + self.placements.count


def _compare(
    old: dict[Any, dict[str, Any]],
    new: dict[Any, dict[str, Any]],
    *,
    model: type[models.Model],
    fields: Sequence[str],
    label: Any,
    display: Any,
) -> ChangeSet:
    added = [ChangedItem(label(key, new[key])) for key in new if key not in old]
    removed = [ChangedItem(label(key, old[key])) for key in old if key not in new]
    changed = []
    for key in new:
        if key not in old:
            continue
        changes = []
        for name in fields:
            model_field = _model_field(model, name)
            column = model_field.attname
            if old[key][column] != new[key][column]:
                changes.append(
                    FieldChange(
                        name,
                        str(model_field.verbose_name),
                        display(name, old[key][column]),
                        display(name, new[key][column]),
                    )
                )
        if changes:
            changed.append(ChangedItem(label(key, new[key]), changes))
    return ChangeSet(
        added=sorted(added, key=lambda item: item.label),
        removed=sorted(removed, key=lambda item: item.label),
        changed=sorted(changed, key=lambda item: item.label),
    )


def chain_changes(*, chain_id: int, from_date: dt.date, to_date: dt.date, today: dt.date | None = None) -> ChainChanges:
    """Added, removed and changed nodes, edges and confirmed placements from the end of ``from_date``
    to the end of ``to_date`` (about eight queries). Edges are matched by their two nodes, as on the
    diff diagram; a placement counts while it is confirmed."""
    old = chain_state(chain_id=chain_id, day=from_date, today=today)
    new = chain_state(chain_id=chain_id, day=to_date, today=today)
    all_nodes = {**old.nodes, **new.nodes}

    def node_name(pk: Any) -> str:
        return _node_label(all_nodes.get(pk)) if pk is not None else EMPTY

    def display_for(model: type[models.Model]) -> Any:
        def display(name: str, value: Any) -> str:
            if name == "parent":
                return node_name(value)
            return _format(_model_field(model, name), value, _Refs())

        return display

    firms = _enterprise_infos({row["enterprise_id"] for row in (*old.placements.values(), *new.placements.values())})

    def placement_label(_key: Any, row: dict[str, Any]) -> str:
        name = firms.get(row["enterprise_id"], (f"#{row['enterprise_id']}", ""))[0]
        role = _choice_label(Placement, "role", row["role"])
        return f"{name} @ {node_name(row['node_id'])} ({role})"

    return ChainChanges(
        from_date=from_date,
        to_date=to_date,
        nodes=_compare(
            old.nodes,
            new.nodes,
            model=Node,
            fields=NODE_DIFF_FIELDS,
            label=lambda _key, row: _node_label(row),
            display=display_for(Node),
        ),
        edges=_compare(
            old.edges,
            new.edges,
            model=Edge,
            fields=EDGE_DIFF_FIELDS,
            label=lambda key, _row: f"{node_name(key[0])} → {node_name(key[1])}",
            display=display_for(Edge),
        ),
        placements=_compare(
            old.placements,
            new.placements,
            model=Placement,
            fields=PLACEMENT_DIFF_FIELDS,
            label=placement_label,
            display=display_for(Placement),
        ),
    )


def first_history_day(*, chain_id: int) -> dt.date | None:
    """The day of the chain's earliest recorded node, for the as-of page's "no data yet" note."""
    first = (
        Node.history.filter(chain_id=chain_id).order_by("history_date").values_list("history_date", flat=True).first()
    )
    return timezone.localtime(first).date() if first is not None else None


# --- the leadership calendar ---------------------------------------------------------------------


@dataclass(frozen=True)
class TermLine:
    term: LeadershipTerm
    state: str  # "past", "current" or "future"


@dataclass(frozen=True)
class ChainCalendar:
    chain: Chain
    terms: list[TermLine]
    current: LeadershipTerm | None
    following: LeadershipTerm | None

    @property
    def handover_on(self) -> dt.date | None:
        """The day the next region takes over: the day after the current term ends."""
        return self.current.ends_on + dt.timedelta(days=1) if self.current is not None else None


def leadership_calendar(*, user: Actor, today: dt.date) -> list[ChainCalendar]:
    """Every visible chain with all its terms (past, current, future): two queries."""
    chains = list(Chain.objects.visible_to(user).order_by("position", "code"))
    terms: dict[int, list[LeadershipTerm]] = defaultdict(list)
    for term in (
        LeadershipTerm.objects.visible_to(user)
        .filter(chain_id__in=[chain.pk for chain in chains])
        .select_related("region")
        .order_by("chain_id", "starts_on")
    ):
        terms[term.chain_id].append(term)
    calendars = []
    for chain in chains:
        chain_terms = terms.get(chain.pk, [])
        # The calendar's term, unless the rotation job already opened a later one (TermQuerySet.in_effect).
        in_effect = [
            t for t in chain_terms if t.starts_on <= today <= t.ends_on or (t.opened_at and t.starts_on > today)
        ]
        current = max(in_effect, key=lambda t: t.starts_on, default=None)
        boundary = current.ends_on if current is not None else today
        following = next((t for t in chain_terms if t.starts_on > boundary), None)
        lines = []
        for term in chain_terms:
            if term is current:
                state = "current"
            elif term.starts_on > boundary:
                state = "future"
            else:
                state = "past"
            lines.append(TermLine(term=term, state=state))
        calendars.append(ChainCalendar(chain=chain, terms=lines, current=current, following=following))
    return calendars
