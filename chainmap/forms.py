"""Forms of the web pages. Filter forms validate the query string: a bad value is a form error, never a 500."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from chainmap.models import QUALIFICATIONS, Chain, Enterprise, Node, Region, SubRegion


class RegionChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Region) -> str:
        return str(obj.get_code_display())


class SubRegionChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: SubRegion) -> str:
        return f"{obj.region.get_code_display()} · {obj.name}"


class ChainChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Chain) -> str:
        return obj.name


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

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["chain"].queryset = Chain.objects.visible_to(user)
        self.fields["chain"].widget.attrs["data-resets"] = "node"
        self.fields["q"].widget.attrs.update(
            {"type": "search", "placeholder": _("Name or credit code"), "autocomplete": "off"}
        )
        region_code = self.data.get("region") if self.is_bound else None
        if region_code:
            # Offer only the chosen region's sub-regions.
            self.fields["subregion"].queryset = SubRegion.objects.select_related("region").filter(
                region__code=region_code
            )
        chain_slug = self.data.get("chain") if self.is_bound else None
        if chain_slug:
            nodes = Node.objects.visible_to(user).filter(chain__slug=chain_slug).order_by("segment", "position", "code")
            choices = [("", _("All nodes of the chain"))]
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
        cleaned = super().clean()
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
