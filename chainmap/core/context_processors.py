from typing import Any

from django.conf import settings
from django.http import HttpRequest

from chainmap.core import roles
from chainmap.core.actors import actor_of


def chainmap(request: HttpRequest) -> dict[str, Any]:
    """Role flags and demo mode for the base layout."""
    user = actor_of(request)
    return {
        "DEMO_MODE": settings.DEMO_MODE,
        "user_role": roles.role_of(user),
        "is_official": roles.is_official(user),
        "is_joint_office": roles.is_joint_office(user),
    }
