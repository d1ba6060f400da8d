"""Node assessments: how strong each region is at a node (strong / present / weak / empty).

Who may set a level (the rule lives here until the lead moves it to ``chainmap.accounts.permissions``):
the joint office and the officials of the chain's leading region set any region's level, like the
rest of the chain map; every other region official sets only their own region's level, since they
know their own industry best. Each write needs a reason, kept in the assessment's history with the
user. The chain's diagram colours nodes by these levels: the model signals
(``chainmap.signals``) schedule a debounced re-render once the transaction commits.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from chainmap.accounts import permissions
from chainmap.core import roles
from chainmap.core.actors import Actor
from chainmap.core.history import save_with_reason
from chainmap.maps.services.mapedit import clean_reason
from chainmap.models import Level, Node, NodeAssessment, Region

NOTE_MAX = 500


def can_set_assessment(*, user: Actor, chain_id: int, region_id: int, on: dt.date | None = None) -> bool:
    """Set one region's level at a node of the chain: the chain's editors for any region, a region's
    own officials for their region."""
    own_region_id = roles.official_region_id(user)
    if own_region_id is not None and own_region_id == region_id:
        return True
    return permissions.can_edit_chain_map(user=user, chain_id=chain_id, on=on)


def assessable_region_ids(
    *, user: Actor, chain_id: int, region_ids: Iterable[int], on: dt.date | None = None
) -> set[int]:
    """The regions among ``region_ids`` whose level the user may set at the chain's nodes (one query at most)."""
    ids = list(region_ids)
    if not roles.is_official(user):
        return set()
    if permissions.can_edit_chain_map(user=user, chain_id=chain_id, on=on):
        return set(ids)
    own_region_id = roles.official_region_id(user)
    return {region_id for region_id in ids if region_id == own_region_id}


@transaction.atomic
def assessment_set(
    *,
    node_id: int,
    region_id: int,
    level: str,
    user: Actor,
    reason: str,
    note: str | None = None,
    expected_level: str | None = None,
) -> NodeAssessment:
    """Set a region's level (and optionally its note) at a node; creates the assessment if missing.

    ``expected_level`` is the level the caller read ("" for not assessed yet): when someone changed it
    meanwhile the write is refused (``expected_level`` names the other change) instead of overwriting it.
    An unchanged level and note write nothing."""
    reason = clean_reason(reason)
    node = Node.objects.select_for_update().filter(pk=node_id).first()
    if node is None:
        raise ValidationError({"node": _("It no longer exists.")})
    region = Region.objects.filter(pk=region_id).first()
    if region is None:
        raise ValidationError({"region": _("Unknown region.")})
    if not can_set_assessment(user=user, chain_id=node.chain_id, region_id=region.pk):
        raise PermissionDenied(
            _("Only the chain's leading region, the joint office or %(region)s's own officials may set this level.")
            % {"region": region.name}
        )
    if level not in Level.values:
        raise ValidationError({"level": _("Choose strong, present, weak or empty.")})
    if note is not None:
        note = note.strip()
        if len(note) > NOTE_MAX:
            raise ValidationError({"note": _("Keep the note under %(max)d characters.") % {"max": NOTE_MAX}})

    assessment = NodeAssessment.objects.select_for_update().filter(node=node, region=region).first()
    current_level = assessment.level if assessment is not None else ""
    if expected_level is not None and expected_level != current_level:
        raise ValidationError({"expected_level": _stale_message(assessment, region)})
    if assessment is None:
        assessment = NodeAssessment(node=node, region=region, level=level, note=note or "")
    elif assessment.level == level and (note is None or assessment.note == note):
        return assessment
    else:
        assessment.level = level
        if note is not None:
            assessment.note = note
    save_with_reason(  # a clash: the first assessment of this region, created at the same moment
        assessment,
        user=user,
        reason=reason,
        validate_unique=False,
        clash={"expected_level": _("Someone set this level at the same moment; reload and try again.")},
    )
    return assessment


def _stale_message(assessment: NodeAssessment | None, region: Region) -> str:
    if assessment is None:
        return _("The level of %(region)s was removed meanwhile; reload and try again.") % {"region": region.name}
    record = assessment.history.select_related("history_user").order_by("-history_date").first()
    who = record.history_user.get_username() if record is not None and record.history_user else "—"
    why = (record.history_change_reason or "") if record is not None else ""
    return _(
        "Meanwhile %(user)s set the level of %(region)s to %(level)s (reason: %(reason)s). "
        "Nothing was overwritten: check it and submit again."
    ) % {"user": who, "region": region.name, "level": assessment.get_level_display(), "reason": why or "—"}
