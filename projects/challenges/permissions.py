"""Who may do what with challenges (揭榜挂帅 / 赛马制) and their applications.

The chain's rules come from ``chainmap.accounts.permissions``: whoever may edit a bottleneck (the
chain's leading region on the day, or the joint office) creates, publishes, reviews, awards and
closes the challenges on it. Enterprises apply for themselves. Visibility (404) lives in
``Challenge.objects.visible_to`` and ``Application.objects.visible_to``; these rules decide about
actions on objects the user can already see (403), and pages show no button they refuse.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from chainmap.accounts import permissions
from chainmap.core import roles
from chainmap.core.actors import Actor

if TYPE_CHECKING:
    from chainmap.models import Bottleneck
    from projects.challenges.models import Application, Challenge

EDITABLE_STATUSES = ("draft", "published")
OPEN_APPLICATION_STATUSES = ("submitted", "shortlisted", "funded")


def can_create_challenge(*, user: Actor, bottleneck: Bottleneck, on: dt.date | None = None) -> bool:
    """Put a challenge on a bottleneck: whoever may edit the bottleneck."""
    return permissions.can_edit_bottleneck(user=user, bottleneck=bottleneck, on=on)


def can_manage_challenge(*, user: Actor, challenge: Challenge, on: dt.date | None = None) -> bool:
    """Edit, publish, start the review, decide, award and close: the chain's leader or the joint office."""
    return permissions.can_edit_bottleneck(user=user, bottleneck=challenge.bottleneck, on=on)


def can_edit_challenge(*, user: Actor, challenge: Challenge, on: dt.date | None = None) -> bool:
    """Change the text, budget, deadline and phases: only while a draft or published."""
    return challenge.status in EDITABLE_STATUSES and can_manage_challenge(user=user, challenge=challenge, on=on)


def can_apply(*, user: Actor, challenge: Challenge) -> bool:
    """An enterprise member applies for their own enterprise to a published challenge (the service checks
    the deadline and that the enterprise has not applied yet)."""
    return roles.member_enterprise_id(user) is not None and challenge.status == "published"


def can_withdraw_application(*, user: Actor, application: Application) -> bool:
    """The applicant's own members, while the application is still in the race."""
    enterprise_id = roles.member_enterprise_id(user)
    return (
        enterprise_id is not None
        and enterprise_id == application.enterprise_id
        and application.status in OPEN_APPLICATION_STATUSES
        and application.challenge.status in ("published", "reviewing")
    )


def can_create_challenges(*, user: Actor) -> bool:
    """Before the body names the bottleneck: officials (which bottleneck: ``can_create_challenge``)."""
    return permissions.can_create_chain_data(user=user)


def can_submit_applications(*, user: Actor) -> bool:
    """Before the body names the challenge: an enterprise's members (which one: ``can_apply``)."""
    return permissions.can_create_profile_data(user=user)
