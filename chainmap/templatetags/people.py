"""``{{ user|person }}``: a person as officials know them (family + given name), never a login name
unless the account has no name."""

from __future__ import annotations

from typing import Any

from django import template

from chainmap.maps.selectors.history import user_display

register = template.Library()


@register.filter
def person(user: Any) -> str:
    return user_display(user) if user is not None else ""
