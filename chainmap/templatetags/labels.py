"""Stored choice values shown by their labels in templates that hold raw values (proposal bases,
snapshots): ``{{ value|segment_label }}``, ``{{ value|placement_status_label }}``."""

from __future__ import annotations

from typing import Any

from django import template
from django.db import models

from chainmap.models import Placement
from chainmap.models.chains import Segment

register = template.Library()


def _label(choices: type[models.TextChoices], value: Any) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return "" if value is None else str(value)


@register.filter
def segment_label(value: Any) -> str:
    return _label(Segment, value)


@register.filter
def placement_status_label(value: Any) -> str:
    return _label(Placement.Status, value)
