"""``{% edit_mode chain as mode %}``: "direct", "propose" or None for the current user, so pages show
only the editing buttons the user can use."""

from __future__ import annotations

from typing import Any

from django import template

from chainmap.core.actors import actor_of

register = template.Library()


@register.simple_tag(takes_context=True)
def edit_mode(context: Any, chain: Any) -> str | None:
    from chainmap.maps.views.edit import edit_mode as mode_for

    request = context.get("request")
    return mode_for(user=actor_of(request), chain_id=chain.pk)
