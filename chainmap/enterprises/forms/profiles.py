"""Forms of the capability profile and placement pages. They parse and check the input; the
services check it again and decide (a service error is put back on the form's field)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from chainmap.enterprises.selectors.profiles import NodeOptions
from chainmap.enterprises.services.placements import PlacementProposeInput, PlacementReviewInput
from chainmap.enterprises.services.profiles import NeedInput, OfferInput, ProfileInput
from chainmap.models import SEGMENT_ORDER, CapabilityProfile, Node, Placement, Segment, SupplyOffer, TechnologyNeed

TRL_CHOICES = [(n, f"TRL {n}") for n in range(1, 10)]


def _max(model: type[Any], name: str) -> int:
    return model._meta.get_field(name).max_length


def textarea(rows: int = 3) -> forms.Textarea:
    return forms.Textarea(attrs={"rows": rows})


class ServiceErrorsMixin:
    """Put a service's ValidationError on the fields it names (unknown names: on the form)."""

    def add_service_errors(self, exc: ValidationError) -> None:
        form: forms.Form = self  # type: ignore[assignment]
        if not hasattr(exc, "error_dict"):
            form.add_error(None, exc)
            return
        for name, errors in exc.message_dict.items():
            form.add_error(name if name in form.fields else None, errors)


def node_choice_groups(options: NodeOptions) -> list[tuple[str, list[tuple[str, str]]]]:
    """The options' nodes as ``<optgroup>``s, one per chain and segment (上游 → 中游 → 下游), each option
    "code · name", in map order: one query, whatever the number of nodes."""
    rows = Node.objects.filter(pk__in=options.ids.values()).values_list(
        "code", "name", "segment", "position", "chain_id", "chain__name", "chain__position", "chain__code"
    )
    ordered = sorted(
        rows, key=lambda row: (row[6], row[7], row[4], SEGMENT_ORDER.get(row[2], len(SEGMENT_ORDER)), row[3], row[0])
    )
    groups: dict[tuple[int, str], tuple[str, list[tuple[str, str]]]] = {}
    for code, name, segment, _position, chain_id, chain_name, _chain_position, _chain_code in ordered:
        if (chain_id, segment) not in groups:
            groups[(chain_id, segment)] = (f"{chain_name} · {Segment(segment).label}", [])
        groups[(chain_id, segment)][1].append((code, f"{code} · {name}"))
    return list(groups.values())


class NodeField(forms.ChoiceField):
    """A node of a chain map, chosen by code in a ``<select>`` grouped by chain and segment; cleans to the
    node id. The groups are queried only when the select is rendered: a valid POST checks the code
    against ``options.ids`` and needs no query of its own."""

    def __init__(self, *, options: NodeOptions | None = None, **kwargs: Any) -> None:
        kwargs.setdefault("label", _("Node"))
        super().__init__(**kwargs)
        self.set_options(options)

    def set_options(self, options: NodeOptions | None) -> None:
        self.options = options
        groups: list[Any] = []

        def choices() -> list[Any]:
            if options is not None and not groups:
                groups.extend(node_choice_groups(options))
            return [("", _("Choose a node")), *groups]

        self.choices = choices

    def valid_value(self, value: str) -> bool:
        return self.options is not None and value in self.options.ids

    def clean(self, value: Any) -> int | None:
        code = super().clean(value)
        if not code:
            return None
        return self.options.ids[code] if self.options else None


class ProfileForm(ServiceErrorsMixin, forms.Form):
    products = forms.CharField(
        label=_("Products"), required=False, max_length=_max(CapabilityProfile, "products"), widget=textarea(4)
    )
    core_technologies = forms.CharField(
        label=_("Core technologies"),
        required=False,
        max_length=_max(CapabilityProfile, "core_technologies"),
        widget=textarea(4),
    )
    capacity = forms.CharField(
        label=_("Capacity"), required=False, max_length=_max(CapabilityProfile, "capacity"), widget=textarea(2)
    )
    trl = forms.TypedChoiceField(label=_("Technology readiness level"), choices=TRL_CHOICES, coerce=int)
    certifications = forms.CharField(
        label=_("Certifications"),
        required=False,
        max_length=_max(CapabilityProfile, "certifications"),
        widget=textarea(2),
    )
    edit_version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    FIELDS = ("products", "core_technologies", "capacity", "trl", "certifications")

    @classmethod
    def initial_for(cls, profile: CapabilityProfile) -> dict[str, Any]:
        return {**{name: getattr(profile, name) for name in cls.FIELDS}, "edit_version": profile.edit_version}

    def changes(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in self.FIELDS}

    def to_input(self) -> ProfileInput:
        """The profile fields as the service's input (the same the API's serializer produces)."""
        return ProfileInput(**self.changes())


class OfferForm(ServiceErrorsMixin, forms.Form):
    node = NodeField()
    title = forms.CharField(label=_("Title"), max_length=_max(SupplyOffer, "title"))
    description = forms.CharField(
        label=_("Description"), required=False, max_length=_max(SupplyOffer, "description"), widget=textarea(4)
    )
    trl = forms.TypedChoiceField(
        label=_("Technology readiness level"),
        choices=[("", _("Same as the profile")), *TRL_CHOICES],
        coerce=int,
        empty_value=None,
        required=False,
    )

    def __init__(self, *args: Any, options: NodeOptions, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["node"].set_options(options)  # type: ignore[attr-defined]

    def to_input(self) -> OfferInput:
        """The offer as the service's input (the same the API's serializer produces)."""
        return OfferInput.from_data(self.cleaned_data)


class NeedForm(ServiceErrorsMixin, forms.Form):
    node = NodeField()
    title = forms.CharField(label=_("Title"), max_length=_max(TechnologyNeed, "title"))
    description = forms.CharField(
        label=_("Description"), required=False, max_length=_max(TechnologyNeed, "description"), widget=textarea(4)
    )
    is_bottleneck = forms.BooleanField(label=_("Key / chokepoint technology"), required=False)
    status = forms.ChoiceField(label=_("Status"), choices=TechnologyNeed.Status.choices, initial="open")

    def __init__(self, *args: Any, options: NodeOptions, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["node"].set_options(options)  # type: ignore[attr-defined]

    def to_input(self) -> NeedInput:
        """The need as the service's input (the same the API's serializer produces)."""
        return NeedInput.from_data(self.cleaned_data)


class ReviewCommentForm(forms.Form):
    comment = forms.CharField(
        label=_("Comment"),
        required=False,
        max_length=_max(CapabilityProfile, "review_comment"),
        widget=textarea(2),
    )


class PlacementProposeForm(ServiceErrorsMixin, forms.Form):
    node = NodeField()
    role = forms.ChoiceField(label=_("Role"), choices=Placement.Role.choices)
    evidence = forms.CharField(
        label=_("Evidence"),
        max_length=_max(Placement, "evidence"),
        widget=textarea(3),
        help_text=_("Products, contracts, patents or certifications that show the enterprise works at this node."),
    )

    def __init__(self, *args: Any, options: NodeOptions, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["node"].set_options(options)  # type: ignore[attr-defined]

    def to_input(self) -> PlacementProposeInput:
        """The proposal as the service's input (the same the API's serializer produces)."""
        return PlacementProposeInput.from_data(self.cleaned_data)


class PlacementReviewForm(forms.Form):
    status = forms.ChoiceField(
        choices=[(Placement.Status.CONFIRMED, _("Confirm")), (Placement.Status.REJECTED, _("Reject"))]
    )
    comment = forms.CharField(label=_("Comment"), required=False, max_length=_max(Placement, "review_comment"))
    expected_version = forms.IntegerField(required=False, widget=forms.HiddenInput, min_value=1)

    def to_input(self) -> PlacementReviewInput:
        """The review as the service's input (the same the API's serializer produces); the version
        the reviewer saw goes along apart (``expected_version``)."""
        data = self.cleaned_data
        return PlacementReviewInput(status=data["status"], comment=data["comment"])
