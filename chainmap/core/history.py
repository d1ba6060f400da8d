"""Saving a version with who made it and why: the one way services write a model that keeps a history.

django-simple-history reads the acting user and the reason from two attributes of the instance at
save (and delete) time; ``record_reason`` sets both, ``save_with_reason`` also validates the instance
and turns a database clash that validation could not see (a unique row saved at the same moment) into
a ``ValidationError`` instead of a 500.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.utils.translation import gettext as _

from chainmap.core.actors import Actor, User


def record_reason(obj: models.Model, *, user: Actor | None, reason: str) -> None:
    """The user and the reason the next save (or delete) of ``obj`` records in its history. An
    anonymous or absent user is recorded as the system (no user)."""
    obj._history_user = user if isinstance(user, User) else None  # type: ignore[attr-defined]  # simple_history
    obj._change_reason = reason  # type: ignore[attr-defined]


def save_with_reason(
    obj: models.Model,
    *,
    user: Actor | None,
    reason: str,
    validate: bool = True,
    validate_unique: bool = True,
    update_fields: list[str] | None = None,
    clash: Any = None,
) -> None:
    """Validate (unless ``validate`` is false: the caller checked every field itself) and save ``obj``
    as one version recording ``user`` and ``reason``. A concurrent save that breaks a constraint
    raises ``ValidationError(clash)`` (a message or a ``{field: message}``), or a general message."""
    record_reason(obj, user=user, reason=reason)
    if validate:
        obj.full_clean(validate_unique=validate_unique)
    try:
        with transaction.atomic():
            obj.save(update_fields=update_fields)
    except IntegrityError as exc:  # a race the validation above could not see
        raise ValidationError(
            clash or _("This change clashes with data saved at the same moment: %(error)s") % {"error": exc}
        ) from exc


def delete_with_reason(obj: models.Model, *, user: Actor | None, reason: str) -> None:
    """Delete ``obj``, its history recording who and why."""
    record_reason(obj, user=user, reason=reason)
    obj.delete()
