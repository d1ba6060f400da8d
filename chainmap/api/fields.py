"""Serializer fields and base classes shared by the API's serializers (chainmap and projects).

DRF's CharField turns a JSON number into text (``{"name": 123}`` is stored as ``"123"``); the API
takes text only as a JSON string, so a number, boolean, list or object answers 400 naming the field.
"""

from __future__ import annotations

from typing import Any

from django.db import models
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
