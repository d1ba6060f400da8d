from __future__ import annotations

from functools import cache
from typing import Any

from django.db import models
from django.utils.encoding import force_str
from django.utils.translation import gettext_lazy as _


@cache
def _labels(field: models.Field) -> dict[Any, Any]:
    """A choice field's value → (lazy) label. Built once per field; the labels stay lazy, so each
    lookup is still in the active language."""
    return dict(field.flatchoices)


class ChoiceLabelsModel(models.Model):
    """``get_FOO_display`` in one dict lookup. Django's rebuilds a dict of every choice on each call,
    hashing each lazy label, which translates it: a page of badges paid for that hundreds of times."""

    class Meta:
        abstract = True

    def _get_FIELD_display(self, field: models.Field) -> Any:
        value = getattr(self, field.attname)
        try:
            label = _labels(field).get(value, value)
        except TypeError:  # an unhashable value: Django's way
            return super()._get_FIELD_display(field)  # type: ignore[misc]
        return force_str(label, strings_only=True)


class TimeStampedModel(ChoiceLabelsModel):
    """Abstract base: when a row was created and last changed."""

    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        abstract = True
