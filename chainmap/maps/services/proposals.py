"""Change proposals: officials of the regions that do not lead a chain propose changes to its map,
the leading region (or the joint office) approves or rejects them.

A proposal records, per item, the state of its target when proposed (``base``). Approval compares
that with the present: if anything moved meanwhile the proposal is marked stale with what changed,
and nothing is applied; otherwise every item is applied in one transaction, through the same
functions as direct edits, recorded in history with the author as user and the proposal's reason.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from chainmap.accounts import permissions
from chainmap.core import roles
from chainmap.core.actors import Actor, User, signed_in
from chainmap.core.history import delete_with_reason
from chainmap.enterprises.services.placements import placement_review
from chainmap.maps.models.chains import EdgeKind, Segment
from chainmap.maps.models.proposals import Operation, ProposalStatus
from chainmap.maps.selectors.history import user_display
from chainmap.maps.services import mapedit
from chainmap.models import Chain, ChangeProposal, Edge, Node, Placement, ProposalItem

TITLE_MAX = 200
REASON_MAX = 2000
ITEMS_MAX = 50


# --- reading items ------------------------------------------------------------------------------


def _field_error(position: int, field: str, message: str) -> ValidationError:
    return ValidationError({f"items[{position}].{field}": message})


def _node(chain: Chain, code: Any, position: int, field: str = "node") -> Node:
    node = Node.objects.filter(chain=chain, code=str(code or "").strip().upper()).first()
    if node is None:
        raise _field_error(position, field, _("No node %(code)s on this chain.") % {"code": code})
    return node


def _parent_code(value: Any) -> str | None:
    text = str(value or "").strip().upper()
    return text or None


def _edge(chain: Chain, item: dict[str, Any], position: int) -> Edge:
    source = _node(chain, item.get("source"), position, "source")
    target = _node(chain, item.get("target"), position, "target")
    edge = Edge.objects.filter(source=source, target=target).first()
    if edge is None:
        raise _field_error(
            position, "target", _("There is no edge %(s)s → %(t)s.") % {"s": source.code, "t": target.code}
        )
    return edge


def _node_base(node: Node) -> dict[str, Any]:
    return {
        "version": node.version,
        "code": node.code,
        "name": node.name,
        "segment": node.segment,
        "parent": node.parent.code if node.parent is not None else None,
        "description": node.description,
        "key_technologies": node.key_technologies,
    }


def _prepare(chain: Chain, position: int, item: dict[str, Any], planned_codes: set[str]) -> ProposalItem:
    """Validate one item against the present and capture its base state."""
    if not isinstance(item, dict):
        raise _field_error(position, "operation", _("Each item must be an object."))
    operation = item.get("operation")
    if operation not in Operation.values:
        raise _field_error(position, "operation", _("Unknown operation."))
    row = ProposalItem(position=position, operation=operation)

    if operation == Operation.ADD_NODE:
        code = str(item.get("code") or "").strip().upper()
        name = str(item.get("name") or "").strip()
        segment = item.get("segment")
        parent = _parent_code(item.get("parent"))
        if not code:
            raise _field_error(position, "code", _("Give the new node a code."))
        if Node.objects.filter(code=code).exists() or code in planned_codes:
            raise _field_error(position, "code", _("A node with code %(code)s already exists.") % {"code": code})
        if not name or len(name) > 100:
            raise _field_error(position, "name", _("Give the node a name of at most 100 characters."))
        if segment not in Segment.values:
            raise _field_error(position, "segment", _("Choose upstream, midstream or downstream."))
        if parent and parent not in planned_codes:
            _node(chain, parent, position, "parent")
        planned_codes.add(code)
        row.payload = {
            "code": code,
            "name": name,
            "segment": segment,
            "parent": parent,
            "description": str(item.get("description") or ""),
            "key_technologies": str(item.get("key_technologies") or ""),
        }
        row.base = {"exists": False}
    elif operation == Operation.RENAME_NODE:
        node = _node(chain, item.get("node"), position)
        name = str(item.get("name") or "").strip()
        if not name or len(name) > 100:
            raise _field_error(position, "name", _("Give the node a name of at most 100 characters."))
        if name == node.name:
            raise _field_error(position, "name", _("The node already has this name."))
        row.node, row.payload, row.base = node, {"node": node.code, "name": name}, _node_base(node)
    elif operation == Operation.MOVE_NODE:
        node = _node(chain, item.get("node"), position)
        segment = item.get("segment") or node.segment
        if segment not in Segment.values:
            raise _field_error(position, "segment", _("Choose upstream, midstream or downstream."))
        parent = _parent_code(item.get("parent"))
        if parent:
            _node(chain, parent, position, "parent")
        if segment == node.segment and parent == (node.parent.code if node.parent is not None else None):
            raise _field_error(position, "parent", _("The node is already there."))
        row.node, row.payload = node, {"node": node.code, "segment": segment, "parent": parent}
        row.base = _node_base(node)
    elif operation == Operation.DELETE_NODE:
        node = _node(chain, item.get("node"), position)
        blockers = mapedit.node_delete_blockers(node)
        if blockers:
            raise _field_error(position, "node", " ".join(blockers))
        row.node, row.payload, row.base = node, {"node": node.code}, _node_base(node)
    elif operation == Operation.ADD_EDGE:
        # Either end may be a node added by an earlier item of the same proposal.
        ends: dict[str, str] = {}
        for field in ("source", "target"):
            code = str(item.get(field) or "").strip().upper()
            ends[field] = code if code in planned_codes else _node(chain, code, position, field).code
        kind = item.get("kind") or EdgeKind.COMPONENT
        if kind not in EdgeKind.values:
            raise _field_error(position, "kind", _("Choose material, component, equipment or service."))
        if ends["source"] == ends["target"]:
            raise _field_error(position, "target", _("An edge cannot join a node to itself."))
        if Edge.objects.filter(source__code=ends["source"], target__code=ends["target"]).exists():
            raise _field_error(position, "target", _("This supply relation already exists."))
        row.payload = {"source": ends["source"], "target": ends["target"], "kind": kind}
        row.base = {"exists": False}
    elif operation == Operation.REMOVE_EDGE:
        edge = _edge(chain, item, position)
        row.edge = edge
        row.payload = {"source": edge.source.code, "target": edge.target.code}
        row.base = {"version": edge.version, "kind": edge.kind, "note": edge.note}
    else:  # confirm / reject placement
        placement = (
            Placement.objects.select_related("node", "enterprise").filter(pk=_int(item.get("placement"))).first()
        )
        if placement is None or placement.node.chain_id != chain.pk:
            raise _field_error(position, "placement", _("No such placement on this chain."))
        wanted = Placement.Status.CONFIRMED if operation == Operation.CONFIRM_PLACEMENT else Placement.Status.REJECTED
        if placement.status == wanted:
            raise _field_error(position, "placement", _("The placement already has this status."))
        row.placement = placement
        row.payload = {
            "placement": placement.pk,
            "enterprise": placement.enterprise.credit_code,
            "node": placement.node.code,
        }
        row.base = {"version": placement.version, "status": placement.status}
    return row


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _describe(item: ProposalItem) -> str:
    payload = item.payload
    labels: dict[str, Callable[[], str]] = {
        Operation.ADD_NODE: lambda: _("Add node %(code)s %(name)s") % payload,
        Operation.RENAME_NODE: lambda: _("Rename %(node)s to %(name)s") % payload,
        Operation.MOVE_NODE: lambda: _("Move %(node)s") % payload,
        Operation.DELETE_NODE: lambda: _("Delete node %(node)s") % payload,
        Operation.ADD_EDGE: lambda: _("Add edge %(source)s → %(target)s") % payload,
        Operation.REMOVE_EDGE: lambda: _("Remove edge %(source)s → %(target)s") % payload,
        Operation.CONFIRM_PLACEMENT: lambda: _("Confirm placement of %(enterprise)s on %(node)s") % payload,
        Operation.REJECT_PLACEMENT: lambda: _("Reject placement of %(enterprise)s on %(node)s") % payload,
    }
    return labels[item.operation]()


# --- creating -----------------------------------------------------------------------------------


@transaction.atomic
def proposal_create(
    *,
    chain_id: int,
    author: Actor,
    title: str = "",
    reason: str,
    items: list[dict[str, Any]],
    reverts: ChangeProposal | None = None,
) -> ChangeProposal:
    """Propose a set of changes to a chain map, routed to the region leading the chain today."""
    chain = Chain.objects.filter(pk=chain_id).first()
    if chain is None:
        raise ValidationError({"chain": _("Unknown chain.")})
    if not permissions.can_propose_change(user=author, chain_id=chain.pk):
        raise PermissionDenied(_("Only officials may propose changes to a chain map."))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Give a reason for this change.")})
    if len(reason) > REASON_MAX:
        raise ValidationError({"reason": _("Keep the reason under %(max)d characters.") % {"max": REASON_MAX}})
    title = (title or "").strip()
    if len(title) > TITLE_MAX:
        raise ValidationError({"title": _("Keep the title under %(max)d characters.") % {"max": TITLE_MAX}})
    if not isinstance(items, list) or not items:
        raise ValidationError({"items": _("A proposal needs at least one change.")})
    if len(items) > ITEMS_MAX:
        raise ValidationError({"items": _("At most %(max)d changes in one proposal.") % {"max": ITEMS_MAX}})
    leader_id = permissions.leading_region_id(chain_id=chain.pk)
    if leader_id is None:
        raise ValidationError({"chain": _("No region leads this chain today, so nobody could review the proposal.")})

    planned: set[str] = set()
    rows = [_prepare(chain, position, item, planned) for position, item in enumerate(items)]
    if not title:
        title = (
            _describe(rows[0])
            if len(rows) == 1
            else _("%(first)s and %(more)d more")
            % {
                "first": _describe(rows[0]),
                "more": len(rows) - 1,
            }
        )
    proposal = ChangeProposal.objects.create(
        chain=chain,
        author=signed_in(author),
        author_region_id=roles.official_region_id(author),
        routed_to_id=leader_id,
        title=title[:TITLE_MAX],
        reason=reason,
        reverts=reverts,
    )
    for row in rows:
        row.proposal = proposal
    ProposalItem.objects.bulk_create(rows)
    return proposal


def item_label(item: ProposalItem) -> str:
    """One line describing a proposal item, for pages and mails."""
    return _describe(item)


# --- reviewing ----------------------------------------------------------------------------------


def _lock_open(proposal_id: int) -> ChangeProposal:
    proposal = ChangeProposal.objects.select_for_update().filter(pk=proposal_id).first()
    if proposal is None:
        raise ValidationError({"proposal": _("Unknown proposal.")})
    if proposal.status != ProposalStatus.OPEN:
        raise ValidationError({"status": _("This proposal is no longer open.")})
    return proposal


def _staleness(proposal: ChangeProposal) -> list[dict[str, Any]]:
    """What changed since the proposal was made, per item (empty when it still applies cleanly)."""
    details: list[dict[str, Any]] = []
    chain = proposal.chain
    for item in proposal.items.all():
        base, payload = item.base, item.payload
        problem: str | None = None
        changes: list[dict[str, Any]] = []
        if item.operation == Operation.ADD_NODE:
            if Node.objects.filter(code=payload["code"]).exists():
                problem = _("A node with code %(code)s was added meanwhile.") % {"code": payload["code"]}
            elif payload.get("parent") and not _exists_or_planned(proposal, chain, payload["parent"], item.position):
                problem = _("The parent node %(code)s was deleted meanwhile.") % {"code": payload["parent"]}
        elif item.operation in (Operation.RENAME_NODE, Operation.MOVE_NODE, Operation.DELETE_NODE):
            node = Node.objects.filter(pk=item.node_id).first() if item.node_id else None
            if node is None:
                problem = _("Node %(code)s was deleted meanwhile.") % {"code": payload["node"]}
            elif node.version != base.get("version"):
                problem = _("Node %(code)s was changed meanwhile.") % {"code": node.code}
                changes = mapedit.change_summary(node, since_version=base["version"])
        elif item.operation == Operation.ADD_EDGE:
            if Edge.objects.filter(source__code=payload["source"], target__code=payload["target"]).exists():
                problem = _("The edge %(source)s → %(target)s was added meanwhile.") % payload
            elif any(
                not _exists_or_planned(proposal, chain, code, item.position)
                for code in (payload["source"], payload["target"])
            ):
                problem = _("A node of the edge %(source)s → %(target)s was deleted meanwhile.") % payload
        elif item.operation == Operation.REMOVE_EDGE:
            edge = Edge.objects.filter(pk=item.edge_id).first() if item.edge_id else None
            if edge is None:
                problem = _("The edge %(source)s → %(target)s was removed meanwhile.") % payload
            elif edge.version != base.get("version"):
                problem = _("The edge %(source)s → %(target)s was changed meanwhile.") % payload
                changes = mapedit.change_summary(edge, since_version=base["version"])
        else:
            placement = Placement.objects.filter(pk=item.placement_id).first() if item.placement_id else None
            if placement is None:
                problem = _("The placement was deleted meanwhile.")
            elif placement.version != base.get("version"):
                problem = _("The placement was reviewed or changed meanwhile.")
                changes = mapedit.change_summary(placement, since_version=base["version"])
        if problem:
            details.append(
                {
                    "position": item.position,
                    "item": _describe(item),
                    "problem": problem,
                    "changes": [
                        {**change, "at": timezone.localtime(change["at"]).isoformat(), "fields": change["fields"]}
                        for change in changes
                    ],
                }
            )
    return _json_safe(details)


def _exists_or_planned(proposal: ChangeProposal, chain: Chain, code: str, before: int) -> bool:
    if Node.objects.filter(chain=chain, code=code).exists():
        return True
    return any(
        other.operation == Operation.ADD_NODE and other.payload.get("code") == code
        for other in proposal.items.all()
        if other.position < before
    )


def _json_safe(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _json_safe(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(item) for item in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def _apply(proposal: ChangeProposal, *, reviewer: User) -> None:
    chain = proposal.chain
    user = proposal.author
    # The history's user is the author (who asked for the change); who approved it goes into the
    # recorded reason, so the history shows both.
    reason = _("Proposal #%(pk)d, approved by %(reviewer)s: %(reason)s") % {
        "pk": proposal.pk,
        "reviewer": user_display(reviewer),
        "reason": proposal.reason,
    }
    for item in proposal.items.all():
        payload = item.payload
        if item.operation == Operation.ADD_NODE:
            parent = Node.objects.get(chain=chain, code=payload["parent"]) if payload.get("parent") else None
            mapedit._apply_node_create(
                chain=chain,
                user=user,
                reason=reason,
                code=payload["code"],
                name=payload["name"],
                segment=payload["segment"],
                parent_id=parent.pk if parent else None,
                description=payload.get("description", ""),
                key_technologies=payload.get("key_technologies", ""),
            )
        elif item.operation == Operation.RENAME_NODE:
            node = Node.objects.select_for_update().get(pk=item.node_id)
            mapedit._apply_node_update(node=node, user=user, reason=reason, changes={"name": payload["name"]})
        elif item.operation == Operation.MOVE_NODE:
            node = Node.objects.select_for_update().get(pk=item.node_id)
            parent = Node.objects.get(chain=chain, code=payload["parent"]) if payload.get("parent") else None
            mapedit._apply_node_update(
                node=node,
                user=user,
                reason=reason,
                changes={"segment": payload["segment"], "parent_id": parent.pk if parent else None},
            )
        elif item.operation == Operation.DELETE_NODE:
            node = Node.objects.select_for_update().get(pk=item.node_id)
            mapedit._apply_node_delete(node=node, user=user, reason=reason)
        elif item.operation == Operation.ADD_EDGE:
            nodes = dict(
                Node.objects.filter(chain=chain, code__in=[payload["source"], payload["target"]]).values_list(
                    "code", "pk"
                )
            )
            mapedit._apply_edge_create(
                chain=chain,
                user=user,
                reason=reason,
                source_id=nodes[payload["source"]],
                target_id=nodes[payload["target"]],
                kind=payload.get("kind") or EdgeKind.COMPONENT,
            )
        elif item.operation == Operation.REMOVE_EDGE:
            edge = Edge.objects.select_for_update().get(pk=item.edge_id)
            delete_with_reason(edge, user=user, reason=reason)
        else:
            status = (
                Placement.Status.CONFIRMED
                if item.operation == Operation.CONFIRM_PLACEMENT
                else Placement.Status.REJECTED
            )
            if item.placement_id is None:  # deleted (SET_NULL) since the staleness check: what placement_review says
                raise ValidationError({"placement": _("This placement does not exist.")})
            placement_review(
                placement_id=item.placement_id,
                user=reviewer,
                status=status,
                comment=reason,
                expected_version=item.base.get("version"),
                enforce=False,
            )


def _authorize_review(proposal: ChangeProposal, reviewer: Actor) -> None:
    if reviewer is not None and reviewer.pk == proposal.author_id:
        raise PermissionDenied(_("The author of a proposal can never review it (four eyes)."))
    if not permissions.can_review_proposal(user=reviewer, proposal=proposal):
        raise PermissionDenied(_("Only the chain's leading region or the joint office may review this proposal."))


def _close(proposal: ChangeProposal, *, status: str, reviewer: Actor, comment: str) -> ChangeProposal:
    proposal.status = status
    proposal.reviewer = signed_in(reviewer)
    proposal.reviewed_at = timezone.now()
    proposal.review_comment = comment
    proposal.save(update_fields=["status", "reviewer", "reviewed_at", "review_comment", "stale_details", "updated_at"])
    return proposal


@transaction.atomic
def proposal_approve(*, proposal_id: int, reviewer: Actor, comment: str = "") -> ChangeProposal:
    """Apply the whole proposal, or mark it stale (nothing applied) when its base changed meanwhile."""
    proposal = _lock_open(proposal_id)
    _authorize_review(proposal, reviewer)
    comment = (comment or "").strip()[:REASON_MAX]
    # Lock the chain: two approvals of the same chain never interleave their checks and writes.
    Chain.objects.select_for_update().filter(pk=proposal.chain_id).first()
    stale = _staleness(proposal)
    if not stale:
        try:
            with transaction.atomic():
                _apply(proposal, reviewer=signed_in(reviewer))
        except ValidationError as exc:
            # Valid when proposed, invalid now (e.g. an edge that would now close a loop): nothing applied.
            stale = [{"position": None, "item": "", "problem": " ".join(exc.messages), "changes": []}]
    if stale:
        proposal.stale_details = stale
        return _close(proposal, status=ProposalStatus.STALE, reviewer=reviewer, comment=comment)
    proposal.stale_details = []
    return _close(proposal, status=ProposalStatus.APPROVED, reviewer=reviewer, comment=comment)


@transaction.atomic
def proposal_reject(*, proposal_id: int, reviewer: Actor, comment: str) -> ChangeProposal:
    proposal = _lock_open(proposal_id)
    _authorize_review(proposal, reviewer)
    comment = (comment or "").strip()
    if not comment:
        raise ValidationError({"comment": _("Say why the proposal is rejected.")})
    return _close(proposal, status=ProposalStatus.REJECTED, reviewer=reviewer, comment=comment[:REASON_MAX])


@transaction.atomic
def proposal_withdraw(*, proposal_id: int, user: Actor) -> ChangeProposal:
    proposal = _lock_open(proposal_id)
    if not permissions.can_withdraw_proposal(user=user, proposal=proposal):
        raise PermissionDenied(_("Only the author may withdraw a proposal."))
    proposal.status = ProposalStatus.WITHDRAWN
    proposal.save(update_fields=["status", "updated_at"])
    return proposal


# --- reverting ----------------------------------------------------------------------------------


def _inverse(item: ProposalItem) -> dict[str, Any]:
    payload, base = item.payload, item.base
    if item.operation == Operation.ADD_NODE:
        return {"operation": Operation.DELETE_NODE, "node": payload["code"]}
    if item.operation == Operation.RENAME_NODE:
        return {"operation": Operation.RENAME_NODE, "node": payload["node"], "name": base["name"]}
    if item.operation == Operation.MOVE_NODE:
        return {
            "operation": Operation.MOVE_NODE,
            "node": payload["node"],
            "segment": base["segment"],
            "parent": base.get("parent"),
        }
    if item.operation == Operation.DELETE_NODE:
        return {"operation": Operation.ADD_NODE, **{k: base.get(k) for k in ("code", "name", "segment", "parent")}} | {
            "description": base.get("description", ""),
            "key_technologies": base.get("key_technologies", ""),
        }
    if item.operation == Operation.ADD_EDGE:
        return {"operation": Operation.REMOVE_EDGE, "source": payload["source"], "target": payload["target"]}
    if item.operation == Operation.REMOVE_EDGE:
        return {
            "operation": Operation.ADD_EDGE,
            "source": payload["source"],
            "target": payload["target"],
            "kind": base.get("kind") or EdgeKind.COMPONENT,
        }
    # A placement goes back the other way: confirmed ↔ rejected (there is no "un-review").
    opposite = (
        Operation.REJECT_PLACEMENT if item.operation == Operation.CONFIRM_PLACEMENT else Operation.CONFIRM_PLACEMENT
    )
    return {"operation": opposite, "placement": payload["placement"]}


@transaction.atomic
def proposal_revert(*, proposal_id: int, author: Actor, reason: str) -> ChangeProposal:
    """A new proposal that undoes an approved one, built from what the original recorded; reviewed as usual."""
    original = ChangeProposal.objects.filter(pk=proposal_id).first()
    if original is None:
        raise ValidationError({"proposal": _("Unknown proposal.")})
    if not permissions.can_revert_proposal(user=author, proposal=original):
        if original.status != ProposalStatus.APPROVED:
            raise ValidationError({"status": _("Only an approved proposal can be reverted.")})
        raise PermissionDenied(_("Only officials may propose changes to a chain map."))
    if original.reverted_by.filter(status__in=[ProposalStatus.OPEN, ProposalStatus.APPROVED]).exists():
        raise ValidationError({"proposal": _("A revert of this proposal is already open or approved.")})
    items = [_inverse(item) for item in reversed(list(original.items.all()))]
    return proposal_create(
        chain_id=original.chain_id,
        author=author,
        title=(_("Revert: %(title)s") % {"title": original.title})[:TITLE_MAX],
        reason=reason,
        items=items,
        reverts=original,
    )


# --- routing ------------------------------------------------------------------------------------


def proposals_reroute(*, chain_id: int, to_region_id: int) -> int:
    """Send the chain's open proposals to the new leading region; returns how many moved."""
    return (
        ChangeProposal.objects.filter(chain_id=chain_id, status=ProposalStatus.OPEN)
        .filter(~Q(routed_to_id=to_region_id))
        .update(routed_to_id=to_region_id, updated_at=timezone.now())
    )
