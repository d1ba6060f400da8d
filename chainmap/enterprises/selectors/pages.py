"""Reads for the enterprise list, search and page: keyword-only, typed, a constant number of queries
whatever the row count."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet

from chainmap.core import cache, roles
from chainmap.core.actors import Actor
from chainmap.core.validators import normalize_credit_code
from chainmap.models import (
    QUALIFICATIONS,
    WORKING_STATUSES,
    CapabilityProfile,
    Chain,
    Enterprise,
    Node,
    Placement,
    ProfileStatus,
    Region,
    SupplyOffer,
    TechnologyNeed,
)

# Columns the enterprise list shows: the rest of the row is never read from the database.
ENTERPRISE_LIST_COLUMNS: tuple[str, ...] = (
    "credit_code",
    "name",
    "size",
    "is_synthetic",
    *QUALIFICATIONS,
    "region__code",
    "region__name",
    "subregion__name",
)


# --- enterprises -------------------------------------------------------------------------------


def enterprise_list(
    *,
    user: Actor,
    region: Region | None = None,
    subregion: Any | None = None,
    chain: Chain | None = None,
    node: Node | None = None,
    qualifications: Iterable[str] = (),
    size: str = "",
    q: str = "",
) -> QuerySet[Enterprise]:
    """Visible enterprises matching the filters, ordered by name. Chain and node filters are
    ``EXISTS`` subqueries (never a join plus ``DISTINCT``) so counting stays cheap at 200,000 rows."""
    enterprises = Enterprise.objects.visible_to(user)
    if region is not None:
        enterprises = enterprises.filter(region=region)
    if subregion is not None:
        enterprises = enterprises.filter(subregion=subregion)
    if node is not None:
        enterprises = enterprises.on_node(node.pk)
    elif chain is not None:
        enterprises = enterprises.on_chain(chain.pk)
    for qualification in qualifications:
        enterprises = enterprises.with_qualification(qualification)
    if size:
        enterprises = enterprises.filter(size=size)
    if q:
        enterprises = enterprises.filter(Q(name__icontains=q) | Q(credit_code=normalize_credit_code(q)))
    return enterprises.select_related("region", "subregion").only(*ENTERPRISE_LIST_COLUMNS).order_by("name", "pk")


def enterprise_queryset(*, user: Actor) -> QuerySet[Enterprise]:
    return Enterprise.objects.visible_to(user).select_related("region", "subregion")


@dataclass(frozen=True)
class EnterprisePage:
    enterprise: Enterprise
    placements: list[Placement]
    profile: CapabilityProfile | None
    offers: list[SupplyOffer]
    needs: list[TechnologyNeed]
    # The working version (draft, submitted, returned), for those who may see it: its own members,
    # its region's officials and the joint office (``visible_to``).
    pending: CapabilityProfile | None = None


def enterprise_page(*, user: Actor, enterprise: Enterprise) -> EnterprisePage:
    """Placements, the approved capability profile with its offers and needs, and the pending
    version if the user may see it: four queries."""
    placements = list(
        Placement.objects.visible_to(user)
        .filter(enterprise=enterprise)
        .select_related("node", "node__chain")
        .order_by("node__chain__position", "node__code", "role")
    )
    for placement in placements:
        placement.enterprise = enterprise  # the permission rules read it: no query per row
    versions = list(
        CapabilityProfile.objects.visible_to(user)
        .filter(enterprise=enterprise, status__in=[ProfileStatus.APPROVED, *WORKING_STATUSES])
        .order_by("-version")
    )
    profile = next((p for p in versions if p.status == ProfileStatus.APPROVED), None)
    pending = next((p for p in versions if p.status != ProfileStatus.APPROVED), None)
    offers: list[SupplyOffer] = []
    needs: list[TechnologyNeed] = []
    if profile is not None:
        offers = list(profile.offers.select_related("node").order_by("pk"))
        needs = list(profile.needs.select_related("node").order_by("pk"))
    return EnterprisePage(
        enterprise=enterprise, placements=placements, profile=profile, offers=offers, needs=needs, pending=pending
    )


def enterprise_rows_key(*, user: Actor) -> str:
    """What the cached enterprise rows depend on besides the query string: the enterprise data's
    version and who looks (officials see every row alike; anyone else only their own)."""
    viewer = roles.role_of(user) if roles.is_official(user) else f"user-{user.pk}"
    return f"{cache.table_version('enterprises')}:{viewer}"
