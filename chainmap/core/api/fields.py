"""Serializer fields and base classes shared by the API's serializers (chainmap and projects).

DRF's CharField turns a JSON number into text (``{"name": 123}`` is stored as ``"123"``); the API
takes text only as a JSON string, so a number, boolean, list or object answers 400 naming the field.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers


class StrictCharField(serializers.CharField):
    """A CharField that accepts JSON strings only."""

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictModelSerializer(serializers.ModelSerializer):
    """ModelSerializer whose generated text fields are StrictCharField."""

    serializer_field_mapping = serializers.ModelSerializer.serializer_field_mapping | {
        models.CharField: StrictCharField,
        models.TextField: StrictCharField,
    }


REASON_MAX = 2000
LANGUAGE_CHOICES = [(code, name) for code, name in settings.LANGUAGES]


def _sane_year(value: Any) -> None:
    if not 2000 <= value.year <= 2100:
        raise serializers.ValidationError(_("Enter a date between 2000-01-01 and 2100-12-31."))


def calendar_date(**kwargs: Any) -> serializers.DateField:
    """A day of a calendar (leadership terms, rounds): years 2000–2100, so date arithmetic never overflows."""
    return serializers.DateField(validators=[_sane_year], **kwargs)


def reason_field() -> StrictCharField:
    return StrictCharField(
        max_length=REASON_MAX, help_text="Why the change is made; recorded in the history.", trim_whitespace=True
    )


@extend_schema_field(OpenApiTypes.BINARY)
class BinaryField(serializers.Field):
    """Schema marker for file downloads."""
