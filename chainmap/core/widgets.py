"""Form widgets shared by every page."""

from __future__ import annotations

from django import forms


class IsoDateInput(forms.DateInput):
    """A browser date picker. ``<input type="date">`` accepts only ``YYYY-MM-DD``: the localized
    format (``2026/12/07`` in Chinese) would leave the field blank, so the value is always ISO."""

    input_type = "date"

    def __init__(self, attrs: dict[str, str] | None = None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m-%d")
