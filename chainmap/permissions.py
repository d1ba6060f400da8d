"""Who may do what: each rule once, as a plain keyword-only function, shared by pages, API and services.

Visibility (what a user may see at all) lives in the ``visible_to`` querysets; the rules here decide
about parts of an object the user can already see, and about actions.
"""

from __future__ import annotations

from typing import Any

from chainmap import roles


def can_view_enterprise_contacts(*, user: Any, enterprise: Any) -> bool:
    """Contact details are private: the joint office, officials of the enterprise's own region and the
    enterprise's own members see them; officials of the other regions and everyone else do not."""
    if roles.is_joint_office(user):
        return True
    region_id = roles.official_region_id(user)
    if region_id is not None:
        return region_id == enterprise.region_id
    member_enterprise_id = roles.member_enterprise_id(user)
    return member_enterprise_id is not None and member_enterprise_id == enterprise.pk
