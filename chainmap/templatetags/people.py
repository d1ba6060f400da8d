"""``{{ user|person }}``: a person as officials know them (family + given name), never a login name
unless the account has no name."""

from __future__ import annotations

from django import template

from chainmap.core.actors import User
from chainmap.maps.selectors.history import user_display

register = template.Library()


@register.filter
def person(user: User | None) -> str:
    return user_display(user) if user is not None else ""
