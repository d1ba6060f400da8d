"""Enterprise placements on chain nodes: proposed by the enterprise (or its region's officials),
confirmed or rejected by its region's officials, the chain's leader or the joint office.

Placements are chain data: every write records history with who and why, and bumps ``version``.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from chainmap.accounts import permissions
from chainmap.core.actors import Actor, signed_in
from chainmap.core.exceptions import ConflictError
from chainmap.core.history import save_with_reason
from chainmap.core.inputs import UNSET, WriteInput
from chainmap.maps.services.mapedit import change_summary
from chainmap.models import Enterprise, Node, Placement

REVIEW_STATUSES = (Placement.Status.CONFIRMED, Placement.Status.REJECTED)


@dataclass(frozen=True, kw_only=True)
class PlacementProposeInput(WriteInput):
    """One proposal of a placement, in the service's names: what the propose page's form
    (``PlacementProposeForm.to_input``) and the API's serializer (``PlacementCreateSerializer.to_input``)
    both produce. The enterprise is the page's or the request's, not part of the input."""

    RELATIONS = {"node": "node_id"}

    node_id: int = UNSET
    role: str = UNSET
    evidence: str = UNSET


@dataclass(frozen=True, kw_only=True)
class PlacementReviewInput(WriteInput):
    """One review of a placement (confirm or reject, with a comment): what the review form
    (``PlacementReviewForm.to_input``) and the API's serializer (``PlacementReviewSerializer.to_input``)
    both produce."""

    status: str = UNSET
    comment: str = ""


def _max_length(name: str) -> int:
    field = Placement._meta.get_field(name)
    assert isinstance(field, models.Field) and field.max_length is not None, name  # text fields with a limit
    return field.max_length


EVIDENCE_MAX = _max_length("evidence")
COMMENT_MAX = _max_length("review_comment")


def _text(field: str, value: Any, limit: int, *, required: bool) -> str:
    if not isinstance(value, str):
        raise ValidationError({field: _("Enter text.")})
    value = value.strip()
    if required and not value:
        raise ValidationError({field: _("This field is required.")})
    if len(value) > limit:
        message = _("Ensure this value has at most %(limit)d characters (it has %(n)d).")
        raise ValidationError({field: message % {"limit": limit, "n": len(value)}})
    return value


def _save(placement: Placement, *, user: Actor, reason: str) -> None:
    """Every field was checked by the caller; the unique (enterprise, node, role) row can still clash."""
    save_with_reason(
        placement,
        user=user,
        reason=reason,
        validate=False,
        clash={"node": _("This enterprise was placed on this node in this role at the same moment.")},
    )


@transaction.atomic
def placement_propose(*, enterprise_id: int, user: Actor, data: PlacementProposeInput) -> Placement:
    """Put an enterprise on a node with status proposed. A rejected placement on the same node and
    role is proposed again (with the new evidence); an open or confirmed one is refused.

    The one check for pages and API alike: an unknown enterprise → 400 naming ``enterprise``, not one
    of its members or its region's officials → 403, then a bad node, role or evidence → 400 naming each."""
    node_id, role, evidence = data.value("node_id", None), data.value("role", ""), data.value("evidence", "")
    enterprise = Enterprise.objects.filter(pk=enterprise_id).first()
    if enterprise is None:
        raise ValidationError({"enterprise": _("This enterprise does not exist.")})
    if not permissions.can_propose_placement(user=user, enterprise=enterprise):
        raise PermissionDenied(_("Only the enterprise's members or its region's officials propose its placements."))
    errors: dict[str, str] = {}
    node = None
    with contextlib.suppress(TypeError, ValueError):
        node = Node.objects.filter(pk=int(node_id)).first() if node_id is not None else None
    if node is None:
        errors["node"] = _("Choose a node of a chain map.")
    if role not in Placement.Role.values:
        errors["role"] = _("Choose a valid role.")
    try:
        evidence = _text("evidence", evidence, EVIDENCE_MAX, required=True)
    except ValidationError as exc:
        errors["evidence"] = exc.message_dict["evidence"][0]
    if errors:
        raise ValidationError(errors)

    placement = Placement.objects.select_for_update().filter(enterprise=enterprise, node=node, role=role).first()
    if placement is None:
        placement = Placement(enterprise=enterprise, node=node, role=role, version=1)
    elif placement.status != Placement.Status.REJECTED:
        raise ValidationError({"node": _("The enterprise is already placed on this node in this role.")})
    else:
        placement.version += 1
        placement.reviewed_by = None
        placement.reviewed_at = None
        placement.review_comment = ""
    placement.status = Placement.Status.PROPOSED
    placement.evidence = evidence
    placement.proposed_by = user
    _save(placement, user=user, reason=_("Placement proposed: %(evidence)s") % {"evidence": evidence})
    return placement


@transaction.atomic
def placement_review(
    *,
    placement_id: int,
    user: Actor,
    data: PlacementReviewInput | None = None,
    status: str = UNSET,
    comment: str = "",
    expected_version: int | None = None,
    enforce: bool = True,
) -> Placement:
    """Confirm or reject a placement (``data``; a caller holding no input, an approved change
    proposal, gives ``status`` and ``comment`` instead). ``enforce=False`` skips the permission check:
    an approved change proposal applies it, its approval having been checked already.

    The one check for pages and API alike: an unknown placement → 400 naming ``placement``, not a
    reviewer → 403, a bad status or comment → 400 naming it, a stale ``expected_version`` → ConflictError."""
    if data is None:
        data = PlacementReviewInput(status=status, comment=comment)
    status, comment = data.value("status", ""), data.comment
    placement = (
        Placement.objects.select_for_update(of=("self",))
        .select_related("enterprise", "node")
        .filter(pk=placement_id)
        .first()
    )
    if placement is None:
        raise ValidationError({"placement": _("This placement does not exist.")})
    if enforce and not permissions.can_review_placement(user=user, placement=placement):
        raise PermissionDenied(
            _("Only officials of the enterprise's region, the chain's leader or the joint office review placements.")
        )
    if status not in REVIEW_STATUSES:
        raise ValidationError({"status": _("Choose confirmed or rejected.")})
    comment = _text("comment", comment or "", COMMENT_MAX, required=False)
    if expected_version is not None and placement.version != expected_version:
        raise ConflictError(
            current=placement,
            expected_version=expected_version,
            changes=change_summary(placement, since_version=expected_version),
        )
    placement.status = status
    placement.reviewed_by = user
    placement.reviewed_at = timezone.now()
    placement.review_comment = comment
    placement.version += 1
    default = _("Placement confirmed") if status == Placement.Status.CONFIRMED else _("Placement rejected")
    _save(placement, user=user, reason=comment or str(default))
    return placement


@transaction.atomic
def placement_import(
    *,
    placement_id: int | None,
    enterprise: Enterprise,
    node: Node,
    role: str,
    values: dict[str, Any],
    user: Actor,
    reason: str,
) -> Placement:
    """One placement written by a spreadsheet import (``values``: its evidence and/or status), in one
    step rather than a proposal and a review: the importer checked every cell and the user's right to
    the enterprise's region row by row, before anything was written. A status other than proposed
    records the importer as its reviewer; history gets the import's reason and ``version`` goes up."""
    if placement_id is None:
        placement = Placement(enterprise=enterprise, node=node, role=role, proposed_by=signed_in(user), version=0)
    else:
        placement = Placement.objects.select_for_update().get(pk=placement_id)
    for key, value in values.items():
        setattr(placement, key, value)
    if "status" in values and values["status"] != Placement.Status.PROPOSED:
        placement.reviewed_by = signed_in(user)
        placement.reviewed_at = timezone.now()
    placement.version += 1
    save_with_reason(placement, user=user, reason=reason)
    return placement
