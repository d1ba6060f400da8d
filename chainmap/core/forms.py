"""Form fields shared by every area's forms."""

from __future__ import annotations

from django import forms

from chainmap.core.models import Region, SubRegion


class RegionChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Region) -> str:
        return str(obj.get_code_display())


class SubRegionChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: SubRegion) -> str:
        return f"{obj.region.get_code_display()} · {obj.name}"
