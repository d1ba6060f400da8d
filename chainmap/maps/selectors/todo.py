""" "My to-do" on the dashboard: what waits for this user, in a fixed number of queries."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Q, QuerySet

from chainmap.accounts import permissions
from chainmap.core import cache as summaries
from chainmap.core import roles
from chainmap.core.actors import Actor
from chainmap.enterprises.models.profiles import ProfileStatus
from chainmap.enterprises.selectors.profiles import placement_review_queryset, profile_review_queryset
from chainmap.maps.models.proposals import ProposalStatus
from chainmap.models import CapabilityProfile, ChangeProposal

SHOWN = 5


def proposals_to_review(*, user: Actor) -> QuerySet[ChangeProposal]:
    """Open proposals this user may approve or reject today (never their own)."""
    open_ = ChangeProposal.objects.visible_to(user).filter(status=ProposalStatus.OPEN)
    if user is None or not user.is_authenticated:
        return open_.none()
    open_ = open_.exclude(author=user)
    if roles.is_joint_office(user):
        return open_
    region_id = roles.official_region_id(user)
    led = [chain_id for chain_id, leader in permissions.leading_region_ids().items() if leader == region_id]
    return open_.filter(Q(chain_id__in=led))


@dataclass
class Todo:
    proposals: list[ChangeProposal] = field(default_factory=list)
    proposal_count: int = 0
    profiles: list[CapabilityProfile] = field(default_factory=list)
    profile_count: int = 0
    placement_count: int = 0
    my_open_proposals: int = 0
    my_profile: CapabilityProfile | None = None

    @property
    def empty(self) -> bool:
        return not (
            self.proposal_count
            or self.profile_count
            or self.placement_count
            or self.my_open_proposals
            or (self.my_profile is not None and self.my_profile.status == ProfileStatus.RETURNED)
        )


def todo(*, user: Actor) -> Todo:
    result = Todo()
    if roles.is_official(user):
        to_review = proposals_to_review(user=user).select_related("chain", "author")
        result.proposal_count = to_review.count()
        result.proposals = list(to_review.order_by("created_at")[:SHOWN])
        profiles = profile_review_queryset(user=user)
        result.profile_count = profiles.count()
        result.profiles = list(profiles[:SHOWN])
        result.placement_count = summaries.list_count(placement_review_queryset(user=user))
        result.my_open_proposals = ChangeProposal.objects.filter(author_id=user.pk, status=ProposalStatus.OPEN).count()
    enterprise_id = roles.member_enterprise_id(user)
    if enterprise_id is not None:
        result.my_profile = CapabilityProfile.objects.filter(enterprise_id=enterprise_id).order_by("-version").first()
    return result
