"""Forms of the web pages. Filter forms validate the query string: a bad value is a form error, never a 500."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from chainmap.core.actors import Actor
from chainmap.core.forms import RegionChoiceField, SubRegionChoiceField
from chainmap.core.validators import normalize_credit_code, validate_credit_code
from chainmap.enterprises.services.enterprises import EnterpriseInput
from chainmap.maps.forms import ChainChoiceField
from chainmap.models import QUALIFICATIONS, Chain, Enterprise, Node, Region, SubRegion

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


class EnterpriseFilterForm(forms.Form):
    """The enterprise list's filters, read from the query string (``?region=TJ&chain=hydrogen&q=...``).

    ``node`` is a node code. When a chain is chosen it is offered as a select of that chain's nodes,
    otherwise typed; either way it must name a node (of the chosen chain, if one is chosen).
    """

    region = RegionChoiceField(
        label=_("Region"), queryset=Region.objects.all(), to_field_name="code", required=False, empty_label=_("All")
    )
    subregion = SubRegionChoiceField(
        label=_("Sub-region"),
        queryset=SubRegion.objects.select_related("region"),
        required=False,
        empty_label=_("All"),
    )
    chain = ChainChoiceField(
        label=_("Chain"), queryset=Chain.objects.none(), to_field_name="slug", required=False, empty_label=_("All")
    )
    node = forms.CharField(label=_("Node"), max_length=40, required=False)
    qualification = forms.MultipleChoiceField(
        label=_("Qualifications"),
        choices=list(QUALIFICATIONS.items()),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    size = forms.ChoiceField(label=_("Size"), choices=[("", _("All")), *Enterprise.Size.choices], required=False)
    q = forms.CharField(label=_("Name or credit code"), max_length=100, required=False, strip=True)

    def __init__(self, *args: Any, user: Actor, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        cast(ChainChoiceField, self.fields["chain"]).queryset = Chain.objects.visible_to(user)
        self.fields["chain"].widget.attrs["data-resets"] = "node"
        self.fields["q"].widget.attrs.update(
            {"type": "search", "placeholder": _("Name or credit code"), "autocomplete": "off"}
        )
        region_code = self.data.get("region") if self.is_bound else None
        if region_code:
            # Offer only the chosen region's sub-regions.
            subregions = cast(SubRegionChoiceField, self.fields["subregion"])
            subregions.queryset = SubRegion.objects.select_related("region").filter(region__code=region_code)
        chain_slug = self.data.get("chain") if self.is_bound else None
        if chain_slug:
            nodes = Node.objects.visible_to(user).filter(chain__slug=chain_slug).order_by("segment", "position", "code")
            choices: list[tuple[str, StrOrPromise]] = [("", _("All nodes of the chain"))]
            choices += [(code, f"{code} {name}") for code, name in nodes.values_list("code", "name")]
            self.fields["node"].widget = forms.Select(choices=choices)
        else:
            self.fields["node"].widget.attrs.update(
                {"placeholder": _("Node code, e.g. H2-UP-03"), "autocomplete": "off"}
            )

    def clean_node(self) -> Node | None:
        code = self.cleaned_data["node"].strip().upper()
        if not code:
            return None
        node = Node.objects.visible_to(self.user).select_related("chain").filter(code=code).first()
        if node is None:
            raise forms.ValidationError(_("There is no node with the code %(code)s."), params={"code": code})
        chain = self.cleaned_data.get("chain")
        if chain is not None and node.chain_id != chain.pk:
            raise forms.ValidationError(
                _("The node %(code)s is not on the chain %(chain)s."), params={"code": code, "chain": chain.name}
            )
        return node

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data  # what Form.clean returns
        region = cleaned.get("region")
        subregion = cleaned.get("subregion")
        if region is not None and subregion is not None and subregion.region_id != region.pk:
            self.add_error("subregion", _("This sub-region is not in the chosen region."))
        return cleaned

    def filters(self) -> dict[str, Any]:
        """The cleaned values as keyword arguments for ``selectors.enterprise_list``."""
        data = self.cleaned_data
        return {
            "region": data.get("region"),
            "subregion": data.get("subregion"),
            "chain": data.get("chain"),
            "node": data.get("node"),
            "qualifications": data.get("qualification") or [],
            "size": data.get("size") or "",
            "q": data.get("q") or "",
        }

    def is_filtered(self) -> bool:
        return self.is_valid() and any(value for value in self.filters().values())


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

    def to_python(self, value: Any) -> str | None:
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
        cast(forms.ModelChoiceField, self.fields["subregion"]).queryset = (
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

    def to_input(self) -> EnterpriseInput:
        """The changed fields as the service's input (the same the API's serializer produces)."""
        return EnterpriseInput(**self.changes())
