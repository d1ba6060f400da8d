"""API representations of enterprises, placements and profiles, and their inputs."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from chainmap import models as m
from chainmap.accounts import permissions
from chainmap.core.api.fields import StrictCharField, StrictModelSerializer, reason_field
from chainmap.enterprises.models.profiles import NeedStatus
from chainmap.enterprises.services.enterprises import EnterpriseInput
from chainmap.enterprises.services.placements import PlacementProposeInput, PlacementReviewInput
from chainmap.enterprises.services.profiles import NeedInput, OfferInput, ProfileInput
from chainmap.maps.api.views import node_id_by_code


def _by_node_code(data: dict[str, Any], *, leave: tuple[str, ...] = ()) -> dict[str, Any]:
    """Validated input with its node code as the node's id (an unknown code: 400 naming ``node``), the
    ``leave`` keys (the write's target, addressed apart) left out."""
    values = {key: value for key, value in data.items() if key not in leave}
    if "node" in values:
        values["node"] = node_id_by_code(values["node"], field="node")
    return values


# --- enterprises and placements ------------------------------------------------------------------


class ContactSerializer(serializers.Serializer):
    name = StrictCharField(source="contact_name")
    phone = StrictCharField(source="contact_phone")
    email = StrictCharField(source="contact_email")


class EnterpriseSerializer(StrictModelSerializer):
    region: serializers.SlugRelatedField[m.Region] = serializers.SlugRelatedField(read_only=True, slug_field="code")
    subregion: serializers.SlugRelatedField[m.SubRegion] = serializers.SlugRelatedField(
        read_only=True, slug_field="name", allow_null=True
    )
    contact = serializers.SerializerMethodField(
        help_text="Private contact details; null unless you may see them (own region, own enterprise, joint office)."
    )

    class Meta:
        model = m.Enterprise
        fields = [
            "id",
            "credit_code",
            "name",
            "region",
            "subregion",
            "size",
            "is_high_tech",
            "is_tech_sme",
            "is_specialized",
            "is_little_giant",
            "is_single_champion",
            "is_listed",
            "founded_year",
            "description",
            "website",
            "contact",
            "version",
        ]

    @extend_schema_field(ContactSerializer(allow_null=True))
    def get_contact(self, obj: m.Enterprise) -> dict[str, Any] | None:

        request = self.context.get("request")
        if request is None or not permissions.can_view_enterprise_contacts(user=request.user, enterprise=obj):
            return None
        # The fields of ContactSerializer (the schema), read directly: a serializer per row of a page of
        # 50 enterprises copies its fields 50 times.
        return {"name": obj.contact_name, "phone": obj.contact_phone, "email": obj.contact_email}


class PlacementSerializer(StrictModelSerializer):
    enterprise_name = StrictCharField(source="enterprise.name", read_only=True)
    node_code = StrictCharField(source="node.code", read_only=True)

    class Meta:
        model = m.Placement
        fields = [
            "id",
            "enterprise",
            "enterprise_name",
            "node",
            "node_code",
            "role",
            "evidence",
            "status",
            "reviewed_at",
            "review_comment",
            "version",
        ]
        read_only_fields = fields


class PlacementCreateSerializer(serializers.Serializer):
    enterprise = serializers.IntegerField(min_value=1, max_value=2**63 - 1, help_text="Enterprise id.")
    node = StrictCharField(max_length=40, help_text="Node code.")
    role = serializers.ChoiceField(choices=m.Placement.Role.choices, default=m.Placement.Role.PRODUCT)
    evidence = StrictCharField(max_length=2000, required=False, allow_blank=True, default="")

    def to_input(self) -> PlacementProposeInput:
        """The proposal as the service's input (the same the propose page's form produces)."""
        return PlacementProposeInput.from_data(_by_node_code(self.validated_data, leave=("enterprise",)))


class PlacementReviewSerializer(serializers.Serializer):
    status = serializers.ChoiceField(
        choices=[(m.Placement.Status.CONFIRMED, "confirmed"), (m.Placement.Status.REJECTED, "rejected")]
    )
    comment = StrictCharField(max_length=500, required=False, allow_blank=True, default="")

    def to_input(self) -> PlacementReviewInput:
        """The review as the service's input (the same the review page's form produces)."""
        return PlacementReviewInput.from_data(self.validated_data)


# --- profiles ------------------------------------------------------------------------------------


class SupplyOfferSerializer(StrictModelSerializer):
    node: serializers.SlugRelatedField[m.Node] = serializers.SlugRelatedField(read_only=True, slug_field="code")

    class Meta:
        model = m.SupplyOffer
        fields = ["id", "node", "title", "description", "trl"]


class TechnologyNeedSerializer(StrictModelSerializer):
    node: serializers.SlugRelatedField[m.Node] = serializers.SlugRelatedField(read_only=True, slug_field="code")

    class Meta:
        model = m.TechnologyNeed
        fields = ["id", "node", "title", "description", "is_bottleneck", "status"]


class OfferDetailSerializer(SupplyOfferSerializer):
    class Meta(SupplyOfferSerializer.Meta):
        fields = ["id", "profile", *SupplyOfferSerializer.Meta.fields[1:]]


class NeedDetailSerializer(TechnologyNeedSerializer):
    class Meta(TechnologyNeedSerializer.Meta):
        fields = ["id", "profile", *TechnologyNeedSerializer.Meta.fields[1:]]


class ProfileSerializer(StrictModelSerializer):
    offers = SupplyOfferSerializer(many=True, read_only=True)
    needs = TechnologyNeedSerializer(many=True, read_only=True)
    enterprise_name = StrictCharField(source="enterprise.name", read_only=True)

    class Meta:
        model = m.CapabilityProfile
        fields = [
            "id",
            "enterprise",
            "enterprise_name",
            "version",
            "status",
            "products",
            "core_technologies",
            "capacity",
            "trl",
            "certifications",
            "submitted_at",
            "reviewed_at",
            "review_comment",
            "edit_version",
            "offers",
            "needs",
        ]
        read_only_fields = fields


class OfferInputSerializer(serializers.Serializer):
    node = StrictCharField(max_length=40, help_text="Node code.")
    title = StrictCharField(max_length=200)
    description = StrictCharField(max_length=4000, required=False, allow_blank=True, default="")
    trl = serializers.IntegerField(min_value=1, max_value=9, required=False, allow_null=True, default=None)

    def to_input(self) -> OfferInput:
        """The offer as the service's input (the same the offer page's form produces); a partial
        update gives only the fields sent."""
        return OfferInput.from_data(_by_node_code(self.validated_data, leave=("profile",)))


class NeedInputSerializer(serializers.Serializer):
    node = StrictCharField(max_length=40, help_text="Node code.")
    title = StrictCharField(max_length=200)
    description = StrictCharField(max_length=4000, required=False, allow_blank=True, default="")
    is_bottleneck = serializers.BooleanField(required=False, default=False)
    status = serializers.ChoiceField(choices=NeedStatus.choices, required=False, default=NeedStatus.OPEN)

    def to_input(self) -> NeedInput:
        """The need as the service's input (the same the need page's form produces); a partial
        update gives only the fields sent."""
        return NeedInput.from_data(_by_node_code(self.validated_data, leave=("profile",)))


class OfferCreateSerializer(OfferInputSerializer):
    profile = serializers.IntegerField(min_value=1, max_value=2**63 - 1, help_text="Id of a draft or returned version.")


class NeedCreateSerializer(NeedInputSerializer):
    profile = serializers.IntegerField(min_value=1, max_value=2**63 - 1, help_text="Id of a draft or returned version.")


class ProfileUpdateSerializer(serializers.Serializer):
    products = StrictCharField(max_length=4000, required=False, allow_blank=True)
    core_technologies = StrictCharField(max_length=4000, required=False, allow_blank=True)
    capacity = StrictCharField(max_length=2000, required=False, allow_blank=True)
    trl = serializers.IntegerField(min_value=1, max_value=9, required=False)
    certifications = StrictCharField(max_length=2000, required=False, allow_blank=True)
    # What ``many=True`` builds, spelled out: the stubs do not let ``max_length`` through ``many=True``.
    offers: serializers.ListSerializer[Any] = serializers.ListSerializer(
        child=OfferInputSerializer(), required=False, max_length=200
    )
    needs: serializers.ListSerializer[Any] = serializers.ListSerializer(
        child=NeedInputSerializer(), required=False, max_length=200
    )

    def to_input(self) -> ProfileInput:
        """The profile fields as the service's input (the same the editor's form produces); the new
        offers and needs go along apart (``items``)."""
        return ProfileInput.from_data(
            {key: value for key, value in self.validated_data.items() if key not in ("offers", "needs")}
        )

    def new_items(self) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """The new offers and needs, each naming its node by code (the service resolves them all at once)."""
        data = self.validated_data
        return [dict(offer) for offer in data.get("offers", [])], [dict(need) for need in data.get("needs", [])]


class ProfileReviewSerializer(serializers.Serializer):
    comment = StrictCharField(max_length=1000, required=False, allow_blank=True, default="")


# --- enterprise master data ----------------------------------------------------------------------


class EnterpriseWriteSerializer(serializers.Serializer):
    """Master data; contacts flat (the read shape nests them under ``contact``)."""

    name = StrictCharField(max_length=200)
    subregion = serializers.IntegerField(
        min_value=1,
        max_value=2**63 - 1,
        required=False,
        allow_null=True,
        help_text="Sub-region id (see /api/regions/), of the enterprise's region.",
    )
    size = serializers.ChoiceField(choices=m.Enterprise.Size.choices, required=False)
    is_high_tech = serializers.BooleanField(required=False)
    is_tech_sme = serializers.BooleanField(required=False)
    is_specialized = serializers.BooleanField(required=False)
    is_little_giant = serializers.BooleanField(required=False)
    is_single_champion = serializers.BooleanField(required=False)
    is_listed = serializers.BooleanField(required=False)
    founded_year = serializers.IntegerField(min_value=1800, max_value=2100, required=False, allow_null=True)
    description = StrictCharField(max_length=4000, required=False, allow_blank=True)
    website = serializers.URLField(max_length=200, required=False, allow_blank=True)
    contact_name = StrictCharField(max_length=50, required=False, allow_blank=True)
    contact_phone = StrictCharField(max_length=30, required=False, allow_blank=True)
    contact_email = serializers.EmailField(max_length=254, required=False, allow_blank=True)
    reason = reason_field()

    def to_input(self) -> EnterpriseInput:
        """The validated fields as the service's input (``reason`` and ``credit_code`` aside)."""
        data = {key: value for key, value in self.validated_data.items() if key not in ("reason", "credit_code")}
        return EnterpriseInput.from_data(data)


class EnterpriseCreateSerializer(EnterpriseWriteSerializer):
    credit_code = StrictCharField(max_length=40, help_text="Unified social credit code (18 characters).")
    region = serializers.SlugRelatedField(slug_field="code", queryset=m.Region.objects.all())


class EnterpriseUpdateSerializer(EnterpriseWriteSerializer):
    region = serializers.SlugRelatedField(
        slug_field="code",
        queryset=m.Region.objects.all(),
        required=False,
        help_text="Move to another region: the joint office only.",
    )
    credit_code = StrictCharField(
        max_length=40, required=False, help_text="Cannot change: any other value than the current one is refused."
    )
