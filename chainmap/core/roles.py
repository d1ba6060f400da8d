"""Who a user is, read from their membership. Imports no models, so querysets can use it.

Chain leadership is not here: it depends on the day, see ``chainmap.accounts.permissions``.
"""

from __future__ import annotations

from typing import Any

from chainmap.core.actors import Actor

JOINT_OFFICE = "joint_office"
REGION_OFFICIAL = "region_official"
ENTERPRISE_MEMBER = "enterprise_member"
SUBSCRIBER = "subscriber"


def membership(user: Actor | None) -> Any | None:
    if user is None or not user.is_authenticated or not user.is_active:
        return None
    try:
        return user.membership
    except Exception:  # RelatedObjectDoesNotExist: a user without a role sees nothing
        return None


def role_of(user: Actor | None) -> str | None:
    if user is not None and user.is_authenticated and user.is_superuser:
        return JOINT_OFFICE
    member = membership(user)
    return member.role if member is not None else None


def is_joint_office(user: Actor | None) -> bool:
    return role_of(user) == JOINT_OFFICE


def is_official(user: Actor | None) -> bool:
    """Joint office or a region official."""
    return role_of(user) in (JOINT_OFFICE, REGION_OFFICIAL)


def official_region_id(user: Actor | None) -> int | None:
    """The region a region official works for; None for everyone else."""
    member = membership(user)
    if member is None or member.role != REGION_OFFICIAL:
        return None
    return member.region_id


def member_enterprise_id(user: Actor | None) -> int | None:
    member = membership(user)
    if member is None or member.role != ENTERPRISE_MEMBER:
        return None
    return member.enterprise_id
