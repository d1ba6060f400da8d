"""``{% may_view_history as flag %}``: whether the current user may open history pages, decided by
``permissions.can_view_history`` so shared templates never show a link the user cannot use."""

from __future__ import annotations

from typing import Any

from django import template

from chainmap.accounts import permissions

register = template.Library()


@register.simple_tag(takes_context=True)
def may_view_history(context: dict[str, Any]) -> bool:
    request = context.get("request")
    user = getattr(request, "user", None) if request is not None else context.get("user")
    return permissions.can_view_history(user=user)
