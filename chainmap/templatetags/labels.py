"""Raw stored values shown as people read them, in templates that hold values kept in JSON (proposal
bases, stale-proposal details): ``|segment_label``, ``|placement_status_label``, ``|local_time``."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import template
from django.db import models
from django.utils import timezone
from django.utils.html import format_html

from chainmap.maps.models.chains import Segment
from chainmap.models import Placement

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


@register.filter
def local_time(value: Any) -> str:
    """A moment as ``YYYY-MM-DD HH:MM`` in Asia/Shanghai, from a datetime or an ISO string kept in JSON."""
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value)
        except ValueError:
            return value
    if not isinstance(value, dt.datetime):
        return "" if value is None else str(value)
    if timezone.is_aware(value):
        value = timezone.localtime(value)
    return value.strftime("%Y-%m-%d %H:%M")


@register.simple_tag
def region_badge(region: Any) -> str:
    """A region's badge (``{% region_badge region %}``): the same markup as an include of a template
    would give, at a fraction of its cost on pages that show one per row."""
    if not region:
        return ""
    return format_html(
        '<span class="badge badge-region-{}" title="{}">{}</span>', region.code, region.name, region.get_code_display()
    )
