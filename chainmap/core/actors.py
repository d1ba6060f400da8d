"""Who acts: the types every permission rule, service and selector takes for "the user".

``Actor`` is what a request carries (``request.user``): a signed-in ``User`` or the
``AnonymousUser``. Rules and reads take an ``Actor`` (for an anonymous visitor the answer is
simply "no"); the product uses Django's own ``User`` model (no swapped user model).
"""

from __future__ import annotations

from typing import TypeAlias

from django.contrib.auth.models import AnonymousUser, User
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

Actor: TypeAlias = User | AnonymousUser

__all__ = ["Actor", "AnonymousUser", "User", "actor_of", "signed_in"]


def actor_of(holder: object | None) -> Actor:
    """The user a request carries (or ``holder`` itself when it is a user); anonymous without one."""
    user = holder if isinstance(holder, (User, AnonymousUser)) else getattr(holder, "user", None)
    return user if isinstance(user, (User, AnonymousUser)) else AnonymousUser()


def signed_in(user: Actor) -> User:
    """The signed-in user, for a write that records who made it. The permission rule in front of
    every such write has refused an anonymous visitor already; this is the guard that says so."""
    if not isinstance(user, User) or not user.is_authenticated:
        raise PermissionDenied(_("Sign in first."))
    return user
