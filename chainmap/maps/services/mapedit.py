"""Direct edits of a chain map: nodes, edges and bottlenecks.

Allowed to the joint office and the officials of the chain's leading region on the day
(``permissions.can_edit_chain_map``); the other regions go through change proposals, whose
approval applies the same private ``_apply_*`` functions. Every write:

- needs a reason, stored as the history change reason, with the user as history user;
- bumps ``version`` and, given ``expected_version``, refuses to overwrite a newer version
  (``ConflictError`` carrying what the other change did);
- validates the whole input first and writes nothing on error.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.utils.translation import gettext as _

from chainmap.accounts import permissions
from chainmap.bottlenecks.models import BottleneckStatus, Mechanism
from chainmap.core.actors import Actor
from chainmap.core.exceptions import ConflictError
from chainmap.core.history import delete_with_reason, save_with_reason
from chainmap.core.inputs import UNSET, WriteInput
from chainmap.maps.models.chains import EdgeKind, Segment, node_code_validator
from chainmap.maps.selectors.history import describe_changes, user_display
from chainmap.matching.services.text import tokens_refresh_bottleneck
from chainmap.models import Bottleneck, Chain, Edge, Node, Placement, Region

REASON_MAX = 1000


# --- inputs -------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class NodeInput(WriteInput):
    """One write of a node, in the service's names: what the node editor's form (``NodeForm.to_input``)
    and the API's serializers (``NodeCreateSerializer`` / ``NodeUpdateSerializer.to_input``) both
    produce. A field left ``UNSET`` was not given: a create takes its default, an update keeps it.
    ``code`` is given on create only; an update refuses it, naming it."""

    RELATIONS = {"parent": "parent_id"}

    code: str = UNSET
    name: str = UNSET
    segment: str = UNSET
    parent_id: int | None = UNSET
    description: str = UNSET
    key_technologies: str = UNSET
    position: int | None = UNSET


@dataclass(frozen=True, kw_only=True)
class EdgeInput(WriteInput):
    """One write of a supply relation (``EdgeForm.to_input``, ``EdgeCreateSerializer`` /
    ``EdgeUpdateSerializer.to_input``). Source and target are given on create only."""

    RELATIONS = {"source": "source_id", "target": "target_id"}

    source_id: int = UNSET
    target_id: int = UNSET
    kind: str = UNSET
    note: str = UNSET


@dataclass(frozen=True, kw_only=True)
class BottleneckInput(WriteInput):
    """One write of a bottleneck (``BottleneckForm.to_input``, ``BottleneckCreateSerializer`` /
    ``BottleneckUpdateSerializer.to_input``). Code and raising region are given on create only;
    publishing is ``status="published"``."""

    RELATIONS = {"raised_by": "raised_by_id"}
    MANY = {"nodes": "node_ids"}

    code: str = UNSET
    title: str = UNSET
    raised_by_id: int = UNSET
    description: str = UNSET
    severity: int = UNSET
    mechanism: str = UNSET
    status: str = UNSET
    target_date: dt.date | None = UNSET
    node_ids: list[int] = UNSET


NODE_FIELDS = ("name", "segment", "parent_id", "description", "key_technologies", "position")
EDGE_FIELDS = ("kind", "note")
BOTTLENECK_FIELDS = ("title", "description", "severity", "mechanism", "status", "target_date", "node_ids")


# --- shared helpers -----------------------------------------------------------------------------


def clean_reason(reason: str | None) -> str:
    text = (reason or "").strip()
    if not text:
        raise ValidationError({"reason": _("Give a reason for this change.")})
    if len(text) > REASON_MAX:
        raise ValidationError(
            {"reason": _("Keep the reason under %(max)d characters.") % {"max": REASON_MAX}},
        )
    return text


def _authorize_chain(*, user: Actor, chain_id: int) -> None:
    if not permissions.can_edit_chain_map(user=user, chain_id=chain_id):
        raise PermissionDenied(_("Only the chain's leading region or the joint office may edit this chain map."))


def change_summary(obj: models.Model, *, since_version: int) -> list[dict[str, Any]]:
    """What other saves did after ``since_version``, newest first, from the object's history."""
    records = list(
        obj.history.filter(version__gt=since_version).select_related("history_user").order_by("-history_date")  # type: ignore[attr-defined]
    )
    changes: list[dict[str, Any]] = []
    for record in records:
        previous = record.prev_record
        fields: list[tuple[str, str, str]] = []
        if previous is not None:
            delta = record.diff_against(previous, excluded_fields=["version"])
            # Shown to people (conflict pages, stale proposals): labels and display values, not column names.
            fields = describe_changes(record=record, previous=previous, names=[c.field for c in delta.changes])
        changes.append(
            {
                "user": user_display(record.history_user) if record.history_user else "",
                "at": record.history_date,
                "reason": record.history_change_reason or "",
                "fields": fields,
            }
        )
    return changes


def values_at_version(obj: models.Model, *, version: int, fields: Iterable[str]) -> dict[str, Any] | None:
    """The fields of ``obj`` as saved at ``version``, from its history (None when that version is not kept)."""
    record = obj.history.filter(version=version).order_by("-history_date").first()  # type: ignore[attr-defined]
    if record is None:
        return None
    return {name: getattr(record, name) for name in fields}


@dataclass(frozen=True)
class Merge:
    """A three-way merge of one person's form against the version someone else saved meanwhile.

    ``values`` is what the form should hold now, field by field: the other person's value where only
    they changed it (``theirs``), this person's where only they did (``mine``), this person's value
    again where both changed it differently (``conflicts``: to be resolved explicitly).
    """

    values: dict[str, Any]
    mine: tuple[str, ...]
    theirs: tuple[str, ...]
    conflicts: tuple[str, ...]


def merge_three_way(*, base: dict[str, Any] | None, mine: dict[str, Any], theirs: dict[str, Any]) -> Merge:
    """Merge ``mine`` (the form, edited from ``base``) with ``theirs`` (the current version).

    Without a base (its history is gone) nothing can be told apart: every field the two disagree on
    is a conflict, so nothing is silently undone either way.
    """
    values: dict[str, Any] = {}
    kept_mine: list[str] = []
    kept_theirs: list[str] = []
    conflicts: list[str] = []
    for name, my_value in mine.items():
        their_value = theirs[name]
        if my_value == their_value:
            values[name] = their_value
        elif base is not None and my_value == base[name]:
            values[name] = their_value
            kept_theirs.append(name)
        elif base is not None and their_value == base[name]:
            values[name] = my_value
            kept_mine.append(name)
        else:
            values[name] = my_value
            conflicts.append(name)
    return Merge(values=values, mine=tuple(kept_mine), theirs=tuple(kept_theirs), conflicts=tuple(conflicts))


def _check_version(obj: Any, expected_version: int | None) -> None:
    if expected_version is not None and obj.version != expected_version:
        raise ConflictError(
            current=obj,
            expected_version=expected_version,
            changes=change_summary(obj, since_version=expected_version),
        )


def _lock(model: type[models.Model], pk: int, field: str) -> Any:
    try:
        return model.objects.select_for_update().get(pk=pk)  # type: ignore[attr-defined]
    except model.DoesNotExist:  # type: ignore[attr-defined]
        raise ValidationError({field: _("It no longer exists.")}) from None


def _unknown_fields(changes: dict[str, Any], allowed: Iterable[str]) -> None:
    unknown = sorted(set(changes) - set(allowed))
    if unknown:
        raise ValidationError({name: _("This field cannot be changed here.") for name in unknown})


# --- nodes --------------------------------------------------------------------------------------


def _validate_parent(*, node: Node, parent_id: int | None) -> None:
    if parent_id is None:
        node.parent = None
        return
    parent = Node.objects.filter(pk=parent_id).first()
    if parent is None:
        raise ValidationError({"parent": _("Unknown parent node.")})
    node.parent = parent  # Node.clean checks same chain and cycles


def _apply_node_create(
    *,
    chain: Chain,
    user: Actor,
    reason: str,
    code: str,
    name: str,
    segment: str,
    parent_id: int | None = None,
    description: str = "",
    key_technologies: str = "",
    position: int | None = None,
) -> Node:
    code = (code or "").strip().upper()
    errors: dict[str, str] = {}
    try:
        node_code_validator(code)
    except ValidationError as exc:
        errors["code"] = exc.messages[0]
    if not errors and Node.objects.filter(code=code).exists():
        errors["code"] = _("A node with code %(code)s already exists.") % {"code": code}
    if segment not in Segment.values:
        errors["segment"] = _("Choose upstream, midstream or downstream.")
    if not (name or "").strip():
        errors["name"] = _("Give the node a name.")
    if errors:
        raise ValidationError(errors)
    if position is None:
        position = (Node.objects.filter(chain=chain).aggregate(top=models.Max("position"))["top"] or 0) + 1
    node = Node(
        chain=chain,
        code=code,
        name=name.strip(),
        segment=segment,
        description=description or "",
        key_technologies=key_technologies or "",
        position=position,
        version=1,
    )
    _validate_parent(node=node, parent_id=parent_id)
    save_with_reason(node, user=user, reason=reason)
    return node


@transaction.atomic
def node_create(
    *, chain_id: int, user: Actor, reason: str, data: NodeInput | Mapping[str, Any] | None = None, **fields: Any
) -> Node:
    """Add a node to the chain (``data`` gives its code, name and segment at least). Fields given as
    keywords instead are read as a mapping, like ``data``."""
    given = NodeInput.of(fields if data is None else data).given()
    reason = clean_reason(reason)
    chain = _lock(Chain, chain_id, "chain")
    _authorize_chain(user=user, chain_id=chain.pk)
    return _apply_node_create(
        chain=chain,
        user=user,
        reason=reason,
        code=given.pop("code", ""),
        name=given.pop("name", ""),
        segment=given.pop("segment", ""),
        parent_id=given.pop("parent_id", None),
        description=given.pop("description", None) or "",
        key_technologies=given.pop("key_technologies", None) or "",
        position=given.pop("position", None),
    )


def _apply_node_update(*, node: Node, user: Actor, reason: str, changes: dict[str, Any]) -> Node:
    _unknown_fields(changes, NODE_FIELDS)
    if "segment" in changes and changes["segment"] not in Segment.values:
        raise ValidationError({"segment": _("Choose upstream, midstream or downstream.")})
    if "name" in changes and not str(changes["name"] or "").strip():
        raise ValidationError({"name": _("Give the node a name.")})
    changed = False
    for field, value in changes.items():
        if field == "parent_id":
            if value != node.parent_id:
                _validate_parent(node=node, parent_id=value)
                changed = True
            continue
        if isinstance(value, str):
            value = value.strip()
        if getattr(node, field) != value:
            setattr(node, field, value)
            changed = True
    if not changed:
        return node
    node.version += 1
    save_with_reason(node, user=user, reason=reason)
    return node


@transaction.atomic
def node_update(
    *, node_id: int, user: Actor, reason: str, expected_version: int | None, changes: NodeInput | Mapping[str, Any]
) -> Node:
    """Change a node's fields (those ``changes`` gives; a mapping is read as ``NodeInput.from_data``).
    An unchanged save writes nothing and keeps the version."""
    given = NodeInput.of(changes).given()
    reason = clean_reason(reason)
    node = _lock(Node, node_id, "node")
    _authorize_chain(user=user, chain_id=node.chain_id)
    _check_version(node, expected_version)
    return _apply_node_update(node=node, user=user, reason=reason, changes=given)


def node_delete_blockers(node: Node) -> list[str]:
    """Why the node cannot be deleted, in words an official can act on (empty when it can)."""
    blockers: list[str] = []
    placements = node.placements.exclude(status=Placement.Status.REJECTED).count()
    if placements:
        blockers.append(
            _("%(count)d enterprise placement(s) still on this node: move or reject them first.")
            % {"count": placements}
        )
    bottlenecks = node.bottlenecks.count()
    if bottlenecks:
        blockers.append(_("%(count)d bottleneck(s) refer to this node: detach them first.") % {"count": bottlenecks})
    children = node.children.count()
    if children:
        blockers.append(_("%(count)d child node(s) hang under this node: move them first.") % {"count": children})
    return blockers


def _apply_node_delete(*, node: Node, user: Actor, reason: str) -> None:
    blockers = node_delete_blockers(node)
    if blockers:
        raise ValidationError({"node": blockers})
    for edge in Edge.objects.filter(models.Q(source=node) | models.Q(target=node)):
        delete_with_reason(edge, user=user, reason=reason)
    # Rejected placements are history, not presence; they go with the node.
    for placement in node.placements.all():
        delete_with_reason(placement, user=user, reason=reason)
    for assessment in node.assessments.all():
        delete_with_reason(assessment, user=user, reason=reason)
    delete_with_reason(node, user=user, reason=reason)


@transaction.atomic
def node_delete(*, node_id: int, user: Actor, reason: str, expected_version: int | None = None) -> None:
    """Delete a node and its edges; refused while enterprises, bottlenecks or children hang on it."""
    reason = clean_reason(reason)
    node = _lock(Node, node_id, "node")
    _authorize_chain(user=user, chain_id=node.chain_id)
    _check_version(node, expected_version)
    _apply_node_delete(node=node, user=user, reason=reason)


# --- edges --------------------------------------------------------------------------------------


def _would_cycle(*, chain_id: int, source_id: int, target_id: int) -> bool:
    """True when target already reaches source, so source → target would close a loop."""
    successors: dict[int, list[int]] = {}
    for src, dst in Edge.objects.filter(chain_id=chain_id).values_list("source_id", "target_id"):
        successors.setdefault(src, []).append(dst)
    stack, seen = [target_id], {target_id}
    while stack:
        current = stack.pop()
        if current == source_id:
            return True
        for nxt in successors.get(current, ()):
            if nxt not in seen:
                seen.add(nxt)
                stack.append(nxt)
    return False


def _apply_edge_create(
    *, chain: Chain, user: Actor, reason: str, source_id: int, target_id: int, kind: str, note: str = ""
) -> Edge:
    errors: dict[str, str] = {}
    nodes = {node.pk: node for node in Node.objects.filter(pk__in=[source_id, target_id])}
    source, target = nodes.get(source_id), nodes.get(target_id)
    if source is None:
        errors["source"] = _("Unknown source node.")
    elif source.chain_id != chain.pk:
        errors["source"] = _("The source node belongs to another chain.")
    if target is None:
        errors["target"] = _("Unknown target node.")
    elif target.chain_id != chain.pk:
        errors["target"] = _("The target node belongs to another chain.")
    if kind not in EdgeKind.values:
        errors["kind"] = _("Choose material, component, equipment or service.")
    if not errors and source_id == target_id:
        errors["target"] = _("An edge cannot join a node to itself.")
    if not errors and Edge.objects.filter(source_id=source_id, target_id=target_id).exists():
        errors["target"] = _("This supply relation already exists.")
    if not errors and _would_cycle(chain_id=chain.pk, source_id=source_id, target_id=target_id):
        errors["target"] = _("This edge would close a loop: %(target)s already supplies %(source)s.") % {
            "target": target.code,  # type: ignore[union-attr]
            "source": source.code,  # type: ignore[union-attr]
        }
    if errors:
        raise ValidationError(errors)
    edge = Edge(chain=chain, source=source, target=target, kind=kind, note=note or "", version=1)
    save_with_reason(edge, user=user, reason=reason)
    return edge


@transaction.atomic
def edge_create(
    *, chain_id: int, user: Actor, reason: str, data: EdgeInput | Mapping[str, Any] | None = None, **fields: Any
) -> Edge:
    """Add a supply relation (``data`` gives its source and target at least; fields given as keywords
    instead are read as a mapping); the chain's supply graph stays acyclic."""
    edge = EdgeInput.of(fields if data is None else data)
    reason = clean_reason(reason)
    chain = _lock(Chain, chain_id, "chain")
    _authorize_chain(user=user, chain_id=chain.pk)
    return _apply_edge_create(
        chain=chain,
        user=user,
        reason=reason,
        source_id=edge.value("source_id", None),
        target_id=edge.value("target_id", None),
        kind=edge.value("kind", EdgeKind.COMPONENT),
        note=edge.value("note", "") or "",
    )


@transaction.atomic
def edge_update(
    *, edge_id: int, user: Actor, reason: str, expected_version: int | None, changes: EdgeInput | Mapping[str, Any]
) -> Edge:
    """Change an edge's kind or note (a mapping is read as ``EdgeInput.from_data``)."""
    given = EdgeInput.of(changes).given()
    reason = clean_reason(reason)
    edge = _lock(Edge, edge_id, "edge")
    _authorize_chain(user=user, chain_id=edge.chain_id)
    _check_version(edge, expected_version)
    _unknown_fields(given, EDGE_FIELDS)
    if "kind" in given and given["kind"] not in EdgeKind.values:
        raise ValidationError({"kind": _("Choose material, component, equipment or service.")})
    changed = False
    for field, value in given.items():
        if getattr(edge, field) != value:
            setattr(edge, field, value)
            changed = True
    if changed:
        edge.version += 1
        save_with_reason(edge, user=user, reason=reason)
    return edge


@transaction.atomic
def edge_delete(*, edge_id: int, user: Actor, reason: str, expected_version: int | None = None) -> None:
    reason = clean_reason(reason)
    edge = _lock(Edge, edge_id, "edge")
    _authorize_chain(user=user, chain_id=edge.chain_id)
    _check_version(edge, expected_version)
    delete_with_reason(edge, user=user, reason=reason)


# --- bottlenecks --------------------------------------------------------------------------------


def _set_bottleneck_nodes(bottleneck: Bottleneck, node_ids: list[int]) -> None:
    nodes = list(Node.objects.filter(pk__in=node_ids))
    if len(nodes) != len(set(node_ids)):
        raise ValidationError({"node_ids": _("Unknown node.")})
    if any(node.chain_id != bottleneck.chain_id for node in nodes):
        raise ValidationError({"node_ids": _("A bottleneck's nodes must belong to its chain.")})
    bottleneck.nodes.set(nodes)


def _validate_bottleneck(bottleneck: Bottleneck) -> None:
    errors: dict[str, str] = {}
    if bottleneck.status not in BottleneckStatus.values:
        errors["status"] = _("Unknown status.")
    if bottleneck.mechanism not in [*Mechanism.values, ""]:
        errors["mechanism"] = _("Unknown mechanism.")
    if bottleneck.status not in (BottleneckStatus.COLLECTED, BottleneckStatus.PUBLISHED) and not bottleneck.mechanism:
        errors["mechanism"] = _("Say how the bottleneck is attacked before it is taken.")
    if not 1 <= int(bottleneck.severity or 0) <= 4:
        errors["severity"] = _("Severity runs from 1 to 4.")
    if not (bottleneck.title or "").strip():
        errors["title"] = _("Give the bottleneck a title.")
    if errors:
        raise ValidationError(errors)


def _tokenize_bottleneck(bottleneck: Bottleneck) -> None:

    tokens_refresh_bottleneck(bottleneck_id=bottleneck.pk)


@transaction.atomic
def bottleneck_create(
    *, chain_id: int, user: Actor, reason: str, data: BottleneckInput | Mapping[str, Any] | None = None, **fields: Any
) -> Bottleneck:
    """Add a bottleneck to the chain (``data`` gives its code, title and raising region at least; fields
    given as keywords instead are read as a mapping)."""
    given = BottleneckInput.of(fields if data is None else data)
    code, title, raised_by_id = given.value("code", ""), given.value("title", ""), given.value("raised_by_id", None)
    description, mechanism = given.value("description", "") or "", given.value("mechanism", "") or ""
    severity = given.value("severity", Bottleneck.Severity.HIGH)
    status = given.value("status", BottleneckStatus.COLLECTED)
    target_date, node_ids = given.value("target_date", None), given.value("node_ids", None)
    reason = clean_reason(reason)
    chain = _lock(Chain, chain_id, "chain")
    if not permissions.can_create_bottleneck(user=user, chain_id=chain.pk):
        raise PermissionDenied(_("Only the chain's leading region or the joint office may add its bottlenecks."))
    code = (code or "").strip()
    if not code:
        raise ValidationError({"code": _("Give the bottleneck a code.")})
    if Bottleneck.objects.filter(code=code).exists():
        raise ValidationError({"code": _("A bottleneck with code %(code)s already exists.") % {"code": code}})
    if not Region.objects.filter(pk=raised_by_id).exists():
        raise ValidationError({"raised_by": _("Unknown region.")})
    bottleneck = Bottleneck(
        chain=chain,
        code=code,
        title=(title or "").strip(),
        description=description or "",
        raised_by_id=raised_by_id,
        severity=severity,
        mechanism=mechanism or "",
        status=status,
        target_date=target_date,
        version=1,
    )
    _validate_bottleneck(bottleneck)
    save_with_reason(bottleneck, user=user, reason=reason)
    if node_ids:
        _set_bottleneck_nodes(bottleneck, node_ids)
    _tokenize_bottleneck(bottleneck)
    return bottleneck


@transaction.atomic
def bottleneck_update(
    *,
    bottleneck_id: int,
    user: Actor,
    reason: str,
    expected_version: int | None,
    changes: BottleneckInput | Mapping[str, Any],
) -> Bottleneck:
    """Change a bottleneck (a mapping is read as ``BottleneckInput.from_data``); publishing is
    ``changes={"status": "published"}``."""
    given = BottleneckInput.of(changes).given()
    reason = clean_reason(reason)
    bottleneck = _lock(Bottleneck, bottleneck_id, "bottleneck")
    if not permissions.can_edit_bottleneck(user=user, bottleneck=bottleneck):
        raise PermissionDenied(_("Only the chain's leading region or the joint office may edit its bottlenecks."))
    _check_version(bottleneck, expected_version)
    _unknown_fields(given, BOTTLENECK_FIELDS)
    node_ids = given.pop("node_ids", None)
    changed = False
    for field, value in given.items():
        if getattr(bottleneck, field) != value:
            setattr(bottleneck, field, value)
            changed = True
    nodes_changed = node_ids is not None and set(node_ids) != set(bottleneck.nodes.values_list("pk", flat=True))
    if not (changed or nodes_changed):
        return bottleneck
    _validate_bottleneck(bottleneck)
    bottleneck.version += 1
    save_with_reason(bottleneck, user=user, reason=reason)
    if nodes_changed:
        _set_bottleneck_nodes(bottleneck, node_ids)
    if {"title", "description"} & set(given) or nodes_changed:
        _tokenize_bottleneck(bottleneck)
    return bottleneck
