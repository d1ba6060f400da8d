"""``{% may_export as flag %}``: the export permission for pages whose views are not the import area's."""

from __future__ import annotations

from typing import Any

from django import template

from chainmap.accounts import permissions
from chainmap.core.actors import actor_of

register = template.Library()


@register.simple_tag(takes_context=True)
def may_export(context: Any) -> bool:
    request = context.get("request")
    return permissions.can_export(user=actor_of(request))
