"""Reads for the profile and placement pages: keyword-only, typed, a constant number of queries
whatever the row count. Visibility comes from the ``visible_to`` querysets."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from chainmap.accounts import permissions
from chainmap.core import roles
from chainmap.core.actors import Actor
from chainmap.models import (
    WORKING_STATUSES,
    CapabilityProfile,
    Enterprise,
    Node,
    Placement,
    ProfileStatus,
    SupplyOffer,
    TechnologyNeed,
)

PROFILE_FIELD_LABELS: dict[str, Any] = {
    "products": _("Products"),
    "core_technologies": _("Core technologies"),
    "capacity": _("Capacity"),
    "trl": _("Technology readiness level"),
    "certifications": _("Certifications"),
}


# --- node choices ------------------------------------------------------------------------------


@dataclass(frozen=True)
class NodeOptions:
    """Every visible node, grouped by chain for a ``<select>`` with ``<optgroup>``s: one query."""

    groups: list[tuple[str, list[tuple[str, str]]]]
    ids: dict[str, int]


def node_options(*, user: Actor) -> NodeOptions:
    groups: dict[str, list[tuple[str, str]]] = {}
    ids: dict[str, int] = {}
    rows = (
        Node.objects.visible_to(user)
        .order_by("chain__position", "chain__code", "segment", "position", "code")
        .values_list("pk", "code", "name", "chain__name")
    )
    for pk, code, name, chain_name in rows:
        groups.setdefault(chain_name, []).append((code, f"{code} {name}"))
        ids[code] = pk
    return NodeOptions(groups=list(groups.items()), ids=ids)


# --- versions ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Version:
    profile: CapabilityProfile
    offers: list[SupplyOffer]
    needs: list[TechnologyNeed]


def _items_of(profile_ids: Iterable[int]) -> tuple[dict[int, list[SupplyOffer]], dict[int, list[TechnologyNeed]]]:
    """Offers and needs of some versions, with their nodes: two queries."""
    ids = [pk for pk in profile_ids if pk is not None]
    offers: dict[int, list[SupplyOffer]] = defaultdict(list)
    needs: dict[int, list[TechnologyNeed]] = defaultdict(list)
    if not ids:
        return offers, needs
    for offer in SupplyOffer.objects.filter(profile_id__in=ids).select_related("node", "node__chain").order_by("pk"):
        offers[offer.profile_id].append(offer)
    for need in TechnologyNeed.objects.filter(profile_id__in=ids).select_related("node", "node__chain").order_by("pk"):
        needs[need.profile_id].append(need)
    return offers, needs


def version(*, profile: CapabilityProfile) -> Version:
    offers, needs = _items_of([profile.pk])
    return Version(profile=profile, offers=offers[profile.pk], needs=needs[profile.pk])


@dataclass(frozen=True)
class MyProfile:
    enterprise: Enterprise
    approved: Version | None
    working: Version | None
    versions: list[CapabilityProfile]


def my_profile(*, user: Actor, enterprise: Enterprise) -> MyProfile:
    """The enterprise's approved and working versions with their offers and needs, and the list of
    all its versions: three queries."""
    versions = list(
        CapabilityProfile.objects.visible_to(user)
        .filter(enterprise=enterprise)
        .select_related("reviewed_by")
        .order_by("-version")
    )
    approved = next((p for p in versions if p.status == ProfileStatus.APPROVED), None)
    working = next((p for p in versions if p.status in WORKING_STATUSES), None)
    offers, needs = _items_of([p.pk for p in (approved, working) if p is not None])

    def wrap(profile: CapabilityProfile | None) -> Version | None:
        return None if profile is None else Version(profile=profile, offers=offers[profile.pk], needs=needs[profile.pk])

    return MyProfile(enterprise=enterprise, approved=wrap(approved), working=wrap(working), versions=versions)


# --- review queue and diffs --------------------------------------------------------------------


@dataclass(frozen=True)
class FieldChange:
    label: Any
    old: Any
    new: Any


@dataclass(frozen=True)
class ItemChange:
    """An offer or need added, removed or changed between the approved and the submitted version."""

    change: str  # "added" | "removed" | "changed"
    title: str
    node: Node
    details: list[FieldChange] = field(default_factory=list)


def _item_changes(old: Sequence[Any], new: Sequence[Any], compared: Sequence[str]) -> list[ItemChange]:
    """Items matched by (node, title): a renamed item shows as one removed and one added."""
    before = {(item.node_id, item.title): item for item in old}
    after = {(item.node_id, item.title): item for item in new}
    changes: list[ItemChange] = []
    for key, item in after.items():
        if key not in before:
            changes.append(ItemChange(change="added", title=item.title, node=item.node))
            continue
        previous = before[key]
        details = [
            FieldChange(
                label=type(item)._meta.get_field(name).verbose_name,
                old=getattr(previous, name),
                new=getattr(item, name),
            )
            for name in compared
            if getattr(previous, name) != getattr(item, name)
        ]
        if details:
            changes.append(ItemChange(change="changed", title=item.title, node=item.node, details=details))
    changes += [
        ItemChange(change="removed", title=item.title, node=item.node)
        for key, item in before.items()
        if key not in after
    ]
    return changes


@dataclass(frozen=True)
class ProfileDiff:
    fields: list[FieldChange]
    offers: list[ItemChange]
    needs: list[ItemChange]

    @property
    def empty(self) -> bool:
        return not (self.fields or self.offers or self.needs)


def profile_diff(*, old: Version | None, new: Version) -> ProfileDiff:
    """What the new version changes against the old one (no old: everything is new)."""
    fields = []
    for name, label in PROFILE_FIELD_LABELS.items():
        before = getattr(old.profile, name) if old else None
        after = getattr(new.profile, name)
        if before != after:
            fields.append(FieldChange(label=label, old=before, new=after))
    return ProfileDiff(
        fields=fields,
        offers=_item_changes(old.offers if old else [], new.offers, ("description", "trl")),
        needs=_item_changes(old.needs if old else [], new.needs, ("description", "is_bottleneck", "status")),
    )


def profile_review_queryset(*, user: Actor) -> QuerySet[CapabilityProfile]:
    """Submitted versions the user reviews: their region's (joint office: all), oldest first."""
    submitted = (
        CapabilityProfile.objects.visible_to(user)
        .filter(status=ProfileStatus.SUBMITTED)
        .select_related("enterprise", "enterprise__region", "submitted_by")
        .order_by("submitted_at", "pk")
    )
    if roles.is_joint_office(user):
        return submitted
    region_id = roles.official_region_id(user)
    if region_id is None:
        return submitted.none()
    return submitted.filter(enterprise__region_id=region_id)


@dataclass(frozen=True)
class ReviewRow:
    submitted: Version
    approved: Version | None
    diff: ProfileDiff
    can_review: bool


def profile_review_rows(*, user: Actor, profiles: Sequence[CapabilityProfile]) -> list[ReviewRow]:
    """Each submitted version with its diff against the enterprise's approved one: three queries."""
    approved = {
        p.enterprise_id: p
        for p in CapabilityProfile.objects.filter(
            enterprise_id__in=[p.enterprise_id for p in profiles], status=ProfileStatus.APPROVED
        )
    }
    offers, needs = _items_of([p.pk for p in profiles] + [p.pk for p in approved.values()])
    rows = []
    for profile in profiles:
        new = Version(profile=profile, offers=offers[profile.pk], needs=needs[profile.pk])
        base = approved.get(profile.enterprise_id)
        old = Version(profile=base, offers=offers[base.pk], needs=needs[base.pk]) if base else None
        rows.append(
            ReviewRow(
                submitted=new,
                approved=old,
                diff=profile_diff(old=old, new=new),
                can_review=permissions.can_review_profile(user=user, profile=profile),
            )
        )
    return rows


# --- placements ---------------------------------------------------------------------------------


def placement_review_queryset(*, user: Actor) -> QuerySet[Placement]:
    """Proposed placements the user may confirm or reject: the joint office all; a region official
    those of their region's enterprises and those on the chains their region leads today."""
    proposed = (
        Placement.objects.visible_to(user)
        .filter(status=Placement.Status.PROPOSED)
        .select_related("enterprise", "enterprise__region", "node", "node__chain", "proposed_by")
        .order_by("created_at", "pk")
    )
    if roles.is_joint_office(user):
        return proposed
    region_id = roles.official_region_id(user)
    if region_id is None:
        return proposed.none()
    led = [chain_id for chain_id, leader in permissions.leading_region_ids().items() if leader == region_id]
    return proposed.filter(Q(enterprise__region_id=region_id) | Q(node__chain_id__in=led))


def reviewable_placement_ids(*, user: Actor, placements: Iterable[Placement]) -> set[int]:
    """Which of these placements the user may confirm or reject: at most one query (today's leaders)."""
    placements = list(placements)
    # Only a region official's answer can depend on who leads a chain today.
    leaders = permissions.leading_region_ids() if placements and roles.official_region_id(user) is not None else {}
    return {
        placement.pk
        for placement in placements
        # No term today: nobody leads the chain (0 matches no region).
        if permissions.can_review_placement(
            user=user, placement=placement, leader_region_id=leaders.get(placement.node.chain_id, 0)
        )
    }
