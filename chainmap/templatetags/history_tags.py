"""``{% may_view_history as flag %}``: whether the current user may open history pages, decided by
``permissions.can_view_history`` so shared templates never show a link the user cannot use."""

from __future__ import annotations

from typing import Any

from django import template

from chainmap.accounts import permissions
from chainmap.core.actors import actor_of

register = template.Library()


@register.simple_tag(takes_context=True)
def may_view_history(context: dict[str, Any]) -> bool:
    request = context.get("request")
    return permissions.can_view_history(user=actor_of(request if request is not None else context.get("user")))
