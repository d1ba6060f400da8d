"""The enterprise master-data form: it parses and validates; ``services.enterprises`` decides."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from chainmap.models import Enterprise, SubRegion
from chainmap.models.enterprises import QUALIFICATIONS
from chainmap.validators import normalize_credit_code, validate_credit_code

REASON_MAX_LENGTH = 1000


class CreditCodeField(forms.CharField):
    """A unified social credit code as a person types it: normalized (full-width, spaces, case), then
    checked by ``validate_credit_code``, so a malformed code says what is wrong with it (length,
    characters, check character) before any lookup can call it unknown."""

    default_validators = [validate_credit_code]

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("label", _("Unified social credit code"))
        kwargs.setdefault("max_length", 40)  # as typed, with spaces; the validator names a wrong length
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> str:
        text = super().to_python(value)
        return normalize_credit_code(text) if text else text


class EnterpriseForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    subregion = forms.ModelChoiceField(label=_("Sub-region"), queryset=SubRegion.objects.none(), required=False)
    size = forms.ChoiceField(label=_("Size"), choices=Enterprise.Size.choices)
    founded_year = forms.IntegerField(label=_("Founded"), min_value=1800, max_value=2100, required=False)
    description = forms.CharField(label=_("Description"), max_length=4000, required=False, widget=forms.Textarea)
    website = forms.URLField(label=_("Website"), max_length=200, required=False, assume_scheme="https")
    contact_name = forms.CharField(label=_("Contact person"), max_length=50, required=False)
    contact_phone = forms.CharField(label=_("Phone"), max_length=30, required=False)
    contact_email = forms.EmailField(label=_("Email"), required=False)
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    reason = forms.CharField(label=_("Reason"), max_length=REASON_MAX_LENGTH)

    def __init__(self, *args: Any, enterprise: Enterprise, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.enterprise = enterprise
        self.fields["subregion"].queryset = (
            SubRegion.objects.filter(region_id=enterprise.region_id).select_related("region").order_by("name")
        )
        for field, label in QUALIFICATIONS.items():
            self.fields[field] = forms.BooleanField(label=label, required=False)
        # Qualifications after size, reason last.
        order = ["name", "subregion", "size", *QUALIFICATIONS, "founded_year", "description", "website"]
        self.order_fields([*order, "contact_name", "contact_phone", "contact_email", "version", "reason"])

    @staticmethod
    def initial_for(enterprise: Enterprise) -> dict[str, Any]:
        initial: dict[str, Any] = {
            key: getattr(enterprise, key)
            for key in (
                "name",
                "size",
                "founded_year",
                "description",
                "website",
                "contact_name",
                "contact_phone",
                "contact_email",
                "version",
                *QUALIFICATIONS,
            )
        }
        initial["subregion"] = enterprise.subregion_id
        return initial

    def changes(self) -> dict[str, Any]:
        """The fields whose value differs from the enterprise's, in the service's names."""
        data = self.cleaned_data
        wanted = {key: data.get(key) for key in ("name", "size", *QUALIFICATIONS)}
        for key in ("description", "website", "contact_name", "contact_phone", "contact_email"):
            wanted[key] = data.get(key) or ""
        wanted["founded_year"] = data.get("founded_year")
        wanted["subregion_id"] = data["subregion"].pk if data.get("subregion") else None
        return {key: value for key, value in wanted.items() if getattr(self.enterprise, key) != value}
