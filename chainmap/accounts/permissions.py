"""Who may do what: each rule once, as a plain keyword-only function, shared by pages, API, admin
actions and services.

Visibility (what a user may see at all) lives in the ``visible_to`` querysets: an invisible object
answers 404. The rules here decide about actions on objects the user can already see: a refused
action answers 403, and pages never show a button or link whose rule says no.

Chain leadership is never stored on a user: it is read from the leadership calendar for the day
(``on``, default today in Asia/Shanghai), so approval rights move the day a term ends, at 00:00,
whether or not the daily rotation job has run yet.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django.utils import timezone

from chainmap.core import roles
from chainmap.core.actors import Actor, User

if TYPE_CHECKING:
    from chainmap.models import (
        Bottleneck,
        CapabilityProfile,
        ChangeProposal,
        Delivery,
        Enterprise,
        ImportJob,
        Match,
        Placement,
        Subscription,
    )


def today() -> dt.date:
    """Today in the project's time zone (Asia/Shanghai)."""
    return timezone.localdate()


def leading_region_id(*, chain_id: int, on: dt.date | None = None) -> int | None:
    """The region leading the chain on the day, from the calendar; None between terms.

    A term the rotation job opened ahead of the calendar (``rotate_leadership --date`` with a later
    day) is in effect from then on."""
    return leading_region_ids(on=on, chain_ids=[chain_id]).get(chain_id)


def leading_region_ids(*, on: dt.date | None = None, chain_ids: list[int] | None = None) -> dict[int, int]:
    """chain id → leading region id for every chain with a term in effect on the day (one query)."""
    from chainmap.leadership.models import terms_in_effect
    from chainmap.models import LeadershipTerm

    terms = LeadershipTerm.objects.in_effect(on or today()).only("chain_id", "region_id", "starts_on")
    if chain_ids is not None:
        terms = terms.filter(chain_id__in=chain_ids)
    return {chain_id: term.region_id for chain_id, term in terms_in_effect(terms).items()}


def _leader_region(chain_id: int, on: dt.date | None, leader_region_id: int | None) -> int | None:
    if leader_region_id is not None:
        return leader_region_id
    return leading_region_id(chain_id=chain_id, on=on)


# --- chain maps ---------------------------------------------------------------------------------


def is_chain_leader(
    *, user: Actor, chain_id: int, on: dt.date | None = None, leader_region_id: int | None = None
) -> bool:
    """A region official whose region leads the chain on the day (the 链长 side)."""
    region_id = roles.official_region_id(user)
    return region_id is not None and region_id == _leader_region(chain_id, on, leader_region_id)


def can_edit_chain_map(
    *, user: Actor, chain_id: int, on: dt.date | None = None, leader_region_id: int | None = None
) -> bool:
    """Edit nodes, edges and placements of the chain directly: the joint office and the leading region."""
    if roles.is_joint_office(user):
        return True
    return is_chain_leader(user=user, chain_id=chain_id, on=on, leader_region_id=leader_region_id)


def can_propose_change(*, user: Actor, chain_id: int) -> bool:
    """Any official may propose a change to any chain map (the leader usually edits directly instead)."""
    return roles.is_official(user)


def can_review_proposal(*, user: Actor, proposal: ChangeProposal, on: dt.date | None = None) -> bool:
    """Approve or reject: the chain's current leading region or the joint office, never the author (four eyes)."""
    if proposal.status != "open" or user is None or user.pk == proposal.author_id:
        return False
    return can_edit_chain_map(user=user, chain_id=proposal.chain_id, on=on)


def can_withdraw_proposal(*, user: Actor, proposal: ChangeProposal) -> bool:
    return proposal.status == "open" and user is not None and user.pk == proposal.author_id


def can_revert_proposal(*, user: Actor, proposal: ChangeProposal) -> bool:
    """Ask to undo an approved proposal: a new proposal, reviewed like any other."""
    return proposal.status == "approved" and can_propose_change(user=user, chain_id=proposal.chain_id)


def can_view_history(*, user: Actor) -> bool:
    """Change history (who changed what, with reasons) is for officials."""
    return roles.is_official(user)


# --- leadership and calendars -------------------------------------------------------------------


def can_manage_calendars(*, user: Actor) -> bool:
    """The rotation calendar and the 一月一链 / 一季一群 calendars: the joint office."""
    return roles.is_joint_office(user)


def can_manage_users(*, user: Actor) -> bool:
    return roles.is_joint_office(user)


# --- enterprises, placements and profiles -------------------------------------------------------


def can_view_enterprise_contacts(*, user: Actor, enterprise: Enterprise) -> bool:
    """Contact details are private: the joint office, officials of the enterprise's own region and the
    enterprise's own members see them; officials of the other regions and everyone else do not."""
    if roles.is_joint_office(user):
        return True
    region_id = roles.official_region_id(user)
    if region_id is not None:
        return region_id == enterprise.region_id
    member_enterprise_id = roles.member_enterprise_id(user)
    return member_enterprise_id is not None and member_enterprise_id == enterprise.pk


def can_edit_enterprise(*, user: Actor, enterprise: Enterprise) -> bool:
    """Master data of an enterprise (name, sub-region, qualifications...): its region's officials."""
    if roles.is_joint_office(user):
        return True
    region_id = roles.official_region_id(user)
    return region_id is not None and region_id == enterprise.region_id


def can_edit_profile(*, user: Actor, enterprise: Enterprise) -> bool:
    """Write the capability profile, offers and needs: the enterprise's own members."""
    member_enterprise_id = roles.member_enterprise_id(user)
    return member_enterprise_id is not None and member_enterprise_id == enterprise.pk


def is_profile_reviewer(*, user: Actor, enterprise: Enterprise) -> bool:
    """Reviews the enterprise's profiles at all: officials of its region, or the joint office."""
    return can_edit_enterprise(user=user, enterprise=enterprise)


def can_review_profile(*, user: Actor, profile: CapabilityProfile) -> bool:
    """Approve or return this profile now: a reviewer of the enterprise, and the version is submitted
    (what pages use to show the buttons; the service refuses a version no longer submitted with 400)."""
    return profile.status == "submitted" and is_profile_reviewer(user=user, enterprise=profile.enterprise)


def can_propose_placement(*, user: Actor, enterprise: Enterprise) -> bool:
    """Put an enterprise on a node (status proposed): its own members or its region's officials."""
    return can_edit_profile(user=user, enterprise=enterprise) or can_edit_enterprise(user=user, enterprise=enterprise)


def can_review_placement(
    *, user: Actor, placement: Placement, on: dt.date | None = None, leader_region_id: int | None = None
) -> bool:
    """Confirm or reject a placement: officials of the enterprise's region, the chain's leader, the joint office.
    Other regions' officials go through a change proposal instead. List pages pass ``leader_region_id``
    (from ``leading_region_ids``) to avoid a query per row."""
    if can_edit_enterprise(user=user, enterprise=placement.enterprise):
        return True
    return can_edit_chain_map(user=user, chain_id=placement.node.chain_id, on=on, leader_region_id=leader_region_id)


# --- bottlenecks, challenges and projects -------------------------------------------------------


def can_edit_bottleneck(*, user: Actor, bottleneck: Bottleneck, on: dt.date | None = None) -> bool:
    """Edit and publish a chain's bottlenecks (and the challenges on them): the leading region, the joint office."""
    return can_edit_chain_map(user=user, chain_id=bottleneck.chain_id, on=on)


def can_create_bottleneck(*, user: Actor, chain_id: int, on: dt.date | None = None) -> bool:
    return can_edit_chain_map(user=user, chain_id=chain_id, on=on)


# --- matching rounds and reports ----------------------------------------------------------------


def can_run_round(*, user: Actor) -> bool:
    """Create, match and move a round through its lifecycle, build its report: officials."""
    return roles.is_official(user)


def can_view_reports(*, user: Actor) -> bool:
    """Rounds, matches and report archive: officials and report subscribers."""
    return roles.is_official(user) or roles.role_of(user) == roles.SUBSCRIBER


def can_record_outcome(*, user: Actor, match: Match) -> bool:
    """Follow-up of a match (contacted, met, signed, no contact): officials."""
    return roles.is_official(user)


def can_resend_delivery(*, user: Actor, delivery: Delivery) -> bool:
    return roles.is_official(user)


def can_manage_subscription(*, user: Actor, subscription: Subscription) -> bool:
    """A user edits their own subscription; the joint office edits everyone's."""
    return roles.is_joint_office(user) or (user is not None and subscription.user_id == user.pk)


# --- import / export ----------------------------------------------------------------------------


def can_import(*, user: Actor, kind: str, chain_id: int | None = None, on: dt.date | None = None) -> bool:
    """Spreadsheet imports follow the rules of the rows they write.

    ``nodes`` / ``edges`` / ``bottlenecks`` of a chain: whoever may edit that chain's map. ``enterprises``
    / ``placements``: officials (each row is checked against ``can_edit_enterprise`` /
    ``can_review_placement`` by the importer)."""
    if kind in ("nodes", "edges", "bottlenecks", "chain"):
        return chain_id is not None and can_edit_chain_map(user=user, chain_id=chain_id, on=on)
    if kind in ("enterprises", "placements"):
        return roles.is_official(user)
    return False


def can_export(*, user: Actor) -> bool:
    return roles.is_official(user)


# --- accounts -----------------------------------------------------------------------------------


def can_change_user_active(*, user: Actor, target: User) -> bool:
    """Deactivate or reactivate an account: the joint office, never their own account, and a
    superuser's only when they are a superuser themselves."""
    if not can_manage_users(user=user) or target.pk == user.pk:
        return False
    return bool(user.is_superuser or not target.is_superuser)


def can_apply_import(*, user: Actor, job: ImportJob, on: dt.date | None = None) -> bool:
    """Apply a checked import: its uploader only (history names them), while still allowed to import it."""
    if user is None or user.pk != job.uploader_id:
        return False
    return can_import(user=user, kind=job.kind, chain_id=job.chain_id, on=on)


# --- before the input is read ------------------------------------------------------------------
# Which object a create concerns is in the body; these say whether the user could create one at
# all, so a user who may not answers 403 whatever the body (then the rules above decide per object).


def can_create_chain_data(*, user: Actor) -> bool:
    """Nodes, edges, bottlenecks, change proposals: officials (of which chain: the rules above)."""
    return roles.is_official(user)


def can_create_enterprise_data(*, user: Actor) -> bool:
    """Placements: an enterprise's members or officials."""
    return roles.is_official(user) or roles.member_enterprise_id(user) is not None


def can_create_profile_data(*, user: Actor) -> bool:
    """Profile versions, offers, needs, challenge applications: an enterprise's own members."""
    return roles.member_enterprise_id(user) is not None
