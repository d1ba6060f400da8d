"""API representations (read) and one input serializer per write.

Read serializers never query by themselves: views fetch what they show with ``select_related`` /
``prefetch_related`` (the list endpoints' query budgets depend on it). Input serializers only parse and
bound the input; services decide and write.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from chainmap import models as m
from chainmap.api.fields import StrictCharField, StrictModelSerializer
from chainmap.models.chains import EdgeKind
from chainmap.models.profiles import NeedStatus
from chainmap.models.proposals import Operation

REASON_MAX = 2000
LANGUAGE_CHOICES = [(code, name) for code, name in settings.LANGUAGES]


def _sane_year(value: Any) -> None:
    if not 2000 <= value.year <= 2100:
        raise serializers.ValidationError(_("Enter a date between 2000-01-01 and 2100-12-31."))


def calendar_date(**kwargs: Any) -> serializers.DateField:
    """A day of a calendar (leadership terms, rounds): years 2000–2100, so date arithmetic never overflows."""
    return serializers.DateField(validators=[_sane_year], **kwargs)


def reason_field() -> StrictCharField:
    return StrictCharField(
        max_length=REASON_MAX, help_text="Why the change is made; recorded in the history.", trim_whitespace=True
    )


# --- regions, chains, clusters -------------------------------------------------------------------


class SubRegionSerializer(StrictModelSerializer):
    class Meta:
        model = m.SubRegion
        fields = ["id", "name", "kind"]


class RegionSerializer(StrictModelSerializer):
    subregions = SubRegionSerializer(many=True, read_only=True)

    class Meta:
        model = m.Region
        fields = ["id", "code", "name", "name_en", "stage", "role", "position", "subregions"]


class ChainSerializer(StrictModelSerializer):
    leading_region = serializers.SerializerMethodField(help_text="Code of the region leading the chain today.")

    class Meta:
        model = m.Chain
        fields = ["id", "code", "slug", "name", "name_en", "description", "position", "leading_region"]

    @extend_schema_field(StrictCharField(allow_null=True))
    def get_leading_region(self, obj: m.Chain) -> str | None:
        # The view puts chain id → region code for today in the context (one query for the page).
        return self.context.get("leaders", {}).get(obj.pk)


class ClusterSerializer(StrictModelSerializer):
    chains = serializers.SlugRelatedField(many=True, read_only=True, slug_field="slug")

    class Meta:
        model = m.Cluster
        fields = ["id", "code", "slug", "name", "name_en", "description", "tier", "position", "chains"]


# --- nodes and edges -----------------------------------------------------------------------------


class NodeSerializer(StrictModelSerializer):
    chain = serializers.SlugRelatedField(read_only=True, slug_field="slug")
    parent = serializers.SlugRelatedField(read_only=True, slug_field="code", allow_null=True)

    class Meta:
        model = m.Node
        fields = [
            "id",
            "chain",
            "code",
            "name",
            "segment",
            "parent",
            "description",
            "key_technologies",
            "position",
            "version",
        ]


class EdgeSerializer(StrictModelSerializer):
    chain = serializers.SlugRelatedField(read_only=True, slug_field="slug")
    source = serializers.SlugRelatedField(read_only=True, slug_field="code")
    target = serializers.SlugRelatedField(read_only=True, slug_field="code")

    class Meta:
        model = m.Edge
        fields = ["id", "chain", "source", "target", "kind", "note", "version"]


class ChainMapSerializer(serializers.Serializer):
    chain = ChainSerializer()
    nodes = NodeSerializer(many=True)
    edges = EdgeSerializer(many=True)


class NodeCreateSerializer(serializers.Serializer):
    chain = serializers.SlugRelatedField(slug_field="slug", queryset=m.Chain.objects.all())
    code = StrictCharField(max_length=40)
    name = StrictCharField(max_length=100)
    segment = serializers.ChoiceField(choices=m.Segment.choices)
    parent = StrictCharField(max_length=40, required=False, allow_null=True, help_text="Parent node code.")
    description = StrictCharField(max_length=4000, required=False, allow_blank=True)
    key_technologies = StrictCharField(max_length=2000, required=False, allow_blank=True)
    reason = reason_field()


class NodeUpdateSerializer(serializers.Serializer):
    name = StrictCharField(max_length=100)
    segment = serializers.ChoiceField(choices=m.Segment.choices)
    parent = StrictCharField(max_length=40, required=False, allow_null=True, help_text="Parent node code.")
    description = StrictCharField(max_length=4000, required=False, allow_blank=True)
    key_technologies = StrictCharField(max_length=2000, required=False, allow_blank=True)
    position = serializers.IntegerField(min_value=0, max_value=2_147_483_647, required=False)
    reason = reason_field()


class EdgeCreateSerializer(serializers.Serializer):
    chain = serializers.SlugRelatedField(slug_field="slug", queryset=m.Chain.objects.all())
    source = StrictCharField(max_length=40, help_text="Source node code.")
    target = StrictCharField(max_length=40, help_text="Target node code.")
    kind = serializers.ChoiceField(choices=EdgeKind.choices, default=EdgeKind.COMPONENT)
    note = StrictCharField(max_length=500, required=False, allow_blank=True, default="")
    reason = reason_field()


class EdgeUpdateSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=EdgeKind.choices)
    note = StrictCharField(max_length=500, required=False, allow_blank=True)
    reason = reason_field()


# --- enterprises and placements ------------------------------------------------------------------


class ContactSerializer(serializers.Serializer):
    name = StrictCharField(source="contact_name")
    phone = StrictCharField(source="contact_phone")
    email = StrictCharField(source="contact_email")


class EnterpriseSerializer(StrictModelSerializer):
    region = serializers.SlugRelatedField(read_only=True, slug_field="code")
    subregion = serializers.SlugRelatedField(read_only=True, slug_field="name", allow_null=True)
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
        from chainmap import permissions

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


class PlacementReviewSerializer(serializers.Serializer):
    status = serializers.ChoiceField(
        choices=[(m.Placement.Status.CONFIRMED, "confirmed"), (m.Placement.Status.REJECTED, "rejected")]
    )
    comment = StrictCharField(max_length=500, required=False, allow_blank=True, default="")


# --- profiles ------------------------------------------------------------------------------------


class SupplyOfferSerializer(StrictModelSerializer):
    node = serializers.SlugRelatedField(read_only=True, slug_field="code")

    class Meta:
        model = m.SupplyOffer
        fields = ["id", "node", "title", "description", "trl"]


class TechnologyNeedSerializer(StrictModelSerializer):
    node = serializers.SlugRelatedField(read_only=True, slug_field="code")

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


class NeedInputSerializer(serializers.Serializer):
    node = StrictCharField(max_length=40, help_text="Node code.")
    title = StrictCharField(max_length=200)
    description = StrictCharField(max_length=4000, required=False, allow_blank=True, default="")
    is_bottleneck = serializers.BooleanField(required=False, default=False)
    status = serializers.ChoiceField(choices=NeedStatus.choices, required=False, default=NeedStatus.OPEN)


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
    offers = OfferInputSerializer(many=True, required=False, max_length=200)
    needs = NeedInputSerializer(many=True, required=False, max_length=200)


class ProfileReviewSerializer(serializers.Serializer):
    comment = StrictCharField(max_length=1000, required=False, allow_blank=True, default="")


# --- leadership and proposals --------------------------------------------------------------------


class LeadershipTermSerializer(StrictModelSerializer):
    chain = serializers.SlugRelatedField(read_only=True, slug_field="slug")
    region = serializers.SlugRelatedField(read_only=True, slug_field="code")

    class Meta:
        model = m.LeadershipTerm
        fields = ["id", "chain", "region", "starts_on", "ends_on", "opened_at", "closed_at"]


class ProposalItemSerializer(StrictModelSerializer):
    class Meta:
        model = m.ProposalItem
        fields = ["position", "operation", "payload", "node", "edge", "placement"]


class ProposalSerializer(StrictModelSerializer):
    chain = serializers.SlugRelatedField(read_only=True, slug_field="slug")
    author = StrictCharField(source="author.username", read_only=True)
    author_region = serializers.SlugRelatedField(read_only=True, slug_field="code", allow_null=True)
    routed_to = serializers.SlugRelatedField(read_only=True, slug_field="code")
    reviewer = serializers.SlugRelatedField(read_only=True, slug_field="username", allow_null=True)
    items = ProposalItemSerializer(many=True, read_only=True)

    class Meta:
        model = m.ChangeProposal
        fields = [
            "id",
            "chain",
            "author",
            "author_region",
            "routed_to",
            "title",
            "reason",
            "status",
            "reviewer",
            "reviewed_at",
            "review_comment",
            "stale_details",
            "reverts",
            "created_at",
            "items",
        ]


class ProposalItemInputSerializer(serializers.Serializer):
    """One change, by natural keys. Which keys an operation needs: see ``chainmap.services.proposals``."""

    operation = serializers.ChoiceField(choices=Operation.choices)
    code = StrictCharField(max_length=40, required=False)
    name = StrictCharField(max_length=100, required=False)
    segment = serializers.ChoiceField(choices=m.Segment.choices, required=False)
    parent = StrictCharField(max_length=40, required=False, allow_null=True)
    description = StrictCharField(max_length=4000, required=False, allow_blank=True)
    key_technologies = StrictCharField(max_length=2000, required=False, allow_blank=True)
    node = StrictCharField(max_length=40, required=False)
    source = StrictCharField(max_length=40, required=False)
    target = StrictCharField(max_length=40, required=False)
    kind = serializers.ChoiceField(choices=EdgeKind.choices, required=False)
    placement = serializers.IntegerField(min_value=1, max_value=2**63 - 1, required=False)


class ProposalCreateSerializer(serializers.Serializer):
    chain = serializers.SlugRelatedField(slug_field="slug", queryset=m.Chain.objects.all())
    title = StrictCharField(max_length=200)
    reason = reason_field()
    items = ProposalItemInputSerializer(many=True, min_length=1, max_length=200)


class ReviewCommentSerializer(serializers.Serializer):
    comment = StrictCharField(max_length=2000, required=False, allow_blank=True, default="")


class RejectSerializer(serializers.Serializer):
    comment = StrictCharField(max_length=2000)


class RevertSerializer(serializers.Serializer):
    reason = reason_field()


# --- bottlenecks ---------------------------------------------------------------------------------


class BottleneckSerializer(StrictModelSerializer):
    chain = serializers.SlugRelatedField(read_only=True, slug_field="slug")
    raised_by = serializers.SlugRelatedField(read_only=True, slug_field="code")
    nodes = serializers.SlugRelatedField(many=True, read_only=True, slug_field="code")

    class Meta:
        model = m.Bottleneck
        fields = [
            "id",
            "chain",
            "code",
            "title",
            "description",
            "raised_by",
            "severity",
            "mechanism",
            "status",
            "target_date",
            "nodes",
            "version",
        ]


class BottleneckCreateSerializer(serializers.Serializer):
    chain = serializers.SlugRelatedField(slug_field="slug", queryset=m.Chain.objects.all())
    code = StrictCharField(max_length=20)
    title = StrictCharField(max_length=200)
    raised_by = serializers.SlugRelatedField(slug_field="code", queryset=m.Region.objects.all())
    description = StrictCharField(max_length=4000, required=False, allow_blank=True)
    severity = serializers.ChoiceField(choices=m.Bottleneck.Severity.choices, required=False)
    mechanism = serializers.ChoiceField(choices=m.Mechanism.choices, required=False, allow_blank=True)
    target_date = serializers.DateField(required=False, allow_null=True)
    nodes = serializers.ListField(
        child=StrictCharField(max_length=40), required=False, max_length=100, help_text="Node codes."
    )
    reason = reason_field()


class BottleneckUpdateSerializer(serializers.Serializer):
    title = StrictCharField(max_length=200)
    description = StrictCharField(max_length=4000, required=False, allow_blank=True)
    severity = serializers.ChoiceField(choices=m.Bottleneck.Severity.choices, required=False)
    mechanism = serializers.ChoiceField(choices=m.Mechanism.choices, required=False, allow_blank=True)
    status = serializers.ChoiceField(choices=m.BottleneckStatus.choices, required=False)
    target_date = serializers.DateField(required=False, allow_null=True)
    nodes = serializers.ListField(
        child=StrictCharField(max_length=40), required=False, max_length=100, help_text="Node codes."
    )
    reason = reason_field()


# --- matching rounds, matches, reports, subscriptions --------------------------------------------


class MatchingRoundSerializer(StrictModelSerializer):
    chain = serializers.SlugRelatedField(read_only=True, slug_field="slug", allow_null=True)
    cluster = serializers.SlugRelatedField(read_only=True, slug_field="slug", allow_null=True)

    class Meta:
        model = m.MatchingRound
        fields = [
            "id",
            "kind",
            "period",
            "chain",
            "cluster",
            "status",
            "opened_at",
            "matched_at",
            "held_on",
            "closed_at",
        ]


class RoundActionSerializer(serializers.Serializer):
    held_on = serializers.DateField(required=False, allow_null=True, help_text="For 'hold': the meeting date.")


class MatchSerializer(StrictModelSerializer):
    enterprise_name = StrictCharField(source="enterprise.name", read_only=True)
    bottleneck = serializers.SlugRelatedField(read_only=True, slug_field="code", allow_null=True)

    class Meta:
        model = m.Match
        fields = [
            "id",
            "round",
            "bottleneck",
            "need",
            "profile",
            "offer",
            "enterprise",
            "enterprise_name",
            "rank",
            "score",
            "components",
            "matched_terms",
            "outcome",
            "outcome_note",
            "outcome_at",
        ]


class MatchOutcomeSerializer(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=m.Outcome.choices)
    note = StrictCharField(max_length=1000, required=False, allow_blank=True, default="")


class DeliverySerializer(StrictModelSerializer):
    class Meta:
        model = m.Delivery
        fields = ["email", "language", "status", "attempts", "sent_at"]


class ReportSerializer(StrictModelSerializer):
    pdf_url = serializers.SerializerMethodField()
    xlsx_url = serializers.SerializerMethodField()
    deliveries = serializers.SerializerMethodField(
        help_text="Who the report was mailed to, and each delivery's status: officials only (empty for others)."
    )

    class Meta:
        model = m.Report
        fields = ["id", "round", "status", "built_at", "pdf_url", "xlsx_url", "deliveries"]

    def _url(self, obj: m.Report, kind: str) -> str | None:
        if not getattr(obj, kind):
            return None
        url = reverse(f"api:report-{kind}", kwargs={"pk": obj.pk})
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request is not None else url

    @extend_schema_field(DeliverySerializer(many=True))
    def get_deliveries(self, obj: m.Report) -> list[dict[str, Any]]:
        from chainmap import roles

        request = self.context.get("request")
        # Recipients' addresses are personal data: subscribers read the report, not its mailing list.
        if request is None or not roles.is_official(request.user):
            return []
        return DeliverySerializer(obj.deliveries.all(), many=True).data

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_pdf_url(self, obj: m.Report) -> str | None:
        return self._url(obj, "pdf")

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_xlsx_url(self, obj: m.Report) -> str | None:
        return self._url(obj, "xlsx")


class SubscriptionSerializer(StrictModelSerializer):
    user = StrictCharField(source="user.username", read_only=True)
    chains = serializers.SlugRelatedField(many=True, slug_field="slug", read_only=True)
    clusters = serializers.SlugRelatedField(many=True, slug_field="slug", read_only=True)
    regions = serializers.SlugRelatedField(many=True, slug_field="code", read_only=True)

    class Meta:
        model = m.Subscription
        fields = ["id", "user", "chains", "clusters", "regions", "language", "is_active"]


class SubscriptionInputSerializer(serializers.Serializer):
    """What a subscription covers. No chain and no cluster: every round's report."""

    chains = serializers.SlugRelatedField(
        many=True, slug_field="slug", queryset=m.Chain.objects.all(), required=False, help_text="Chain slugs."
    )
    clusters = serializers.SlugRelatedField(
        many=True, slug_field="slug", queryset=m.Cluster.objects.all(), required=False, help_text="Cluster slugs."
    )
    regions = serializers.SlugRelatedField(
        many=True, slug_field="code", queryset=m.Region.objects.all(), required=False, help_text="Region codes."
    )
    language = serializers.ChoiceField(choices=LANGUAGE_CHOICES, required=False, help_text="Language of the mails.")
    is_active = serializers.BooleanField(required=False)


class SubscriptionCreateSerializer(SubscriptionInputSerializer):
    user = serializers.SlugRelatedField(
        slug_field="username",
        queryset=get_user_model().objects.all(),
        required=False,
        help_text="Whose subscription (the joint office only); default: yours.",
    )


# --- leadership calendar, matching calendars -----------------------------------------------------


class LeadershipTermUpdateSerializer(serializers.Serializer):
    region = serializers.SlugRelatedField(
        slug_field="code", queryset=m.Region.objects.all(), help_text="Code of the leading region."
    )
    starts_on = calendar_date()
    ends_on = calendar_date()
    reason = reason_field()


class TermsRegenerateSerializer(serializers.Serializer):
    chain = serializers.SlugRelatedField(slug_field="slug", queryset=m.Chain.objects.all())
    starts_on = calendar_date(help_text="First day of the new rule (today or later).")
    order = serializers.ListField(
        child=StrictCharField(max_length=4),
        min_length=1,
        max_length=10,
        help_text='Region codes in rotation order, e.g. ["BJ", "TJ", "HE"].',
    )
    term_months = serializers.IntegerField(min_value=1, max_value=24)
    reason = reason_field()


class CalendarEntrySerializer(StrictModelSerializer):
    chain = serializers.SlugRelatedField(read_only=True, slug_field="slug", allow_null=True)
    cluster = serializers.SlugRelatedField(read_only=True, slug_field="slug", allow_null=True)
    locked = serializers.SerializerMethodField(help_text="The period's round is matched: its subject is fixed.")

    class Meta:
        model = m.CalendarEntry
        fields = ["id", "kind", "period", "chain", "cluster", "locked"]

    @extend_schema_field(serializers.BooleanField())
    def get_locked(self, obj: m.CalendarEntry) -> bool:
        # The view puts the locked (kind, period) pairs of the page in the context (one query).
        return (obj.kind, obj.period) in self.context.get("locked", set())


class CalendarEntrySetSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=m.RoundKind.choices)
    period = calendar_date(help_text="Any day of the month (一月一链) or quarter (一季一群).")
    subject = StrictCharField(max_length=50, help_text="Chain slug for chain_month, cluster slug for cluster_quarter.")


class CalendarSubjectSerializer(serializers.Serializer):
    subject = StrictCharField(max_length=50, help_text="Chain slug for chain_month, cluster slug for cluster_quarter.")


class CalendarFillSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=m.RoundKind.choices)
    year = serializers.IntegerField(min_value=2000, max_value=2100)


# --- report build, deliveries --------------------------------------------------------------------


class ReportBuildSerializer(serializers.Serializer):
    refresh = serializers.BooleanField(
        required=False,
        default=False,
        help_text="Take a new snapshot of the round's data; otherwise the frozen snapshot is rendered again.",
    )


class DeliveryDetailSerializer(StrictModelSerializer):
    round = serializers.IntegerField(source="report.round_id", read_only=True)

    class Meta:
        model = m.Delivery
        fields = ["id", "report", "round", "email", "language", "status", "attempts", "sent_at", "last_error"]
        read_only_fields = fields


# --- users ---------------------------------------------------------------------------------------


class UserSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    username = StrictCharField(read_only=True)
    name = serializers.SerializerMethodField()
    role = serializers.SerializerMethodField(help_text="Role in chainmap; null for an account without one.")
    region = serializers.SerializerMethodField(help_text="Region code of a region official.")
    enterprise = serializers.SerializerMethodField(help_text="Credit code of an enterprise member's enterprise.")
    active = serializers.BooleanField(source="is_active", read_only=True)

    def _membership(self, obj: Any) -> Any:
        return getattr(obj, "membership", None) if hasattr(obj, "membership") else None

    @extend_schema_field(StrictCharField())
    def get_name(self, obj: Any) -> str:
        return obj.get_full_name()

    @extend_schema_field(serializers.ChoiceField(choices=m.Role.choices, allow_null=True))
    def get_role(self, obj: Any) -> str | None:
        if obj.is_superuser:
            return m.Role.JOINT_OFFICE
        membership = self._membership(obj)
        return membership.role if membership is not None else None

    @extend_schema_field(StrictCharField(allow_null=True))
    def get_region(self, obj: Any) -> str | None:
        membership = self._membership(obj)
        return membership.region.code if membership is not None and membership.region_id else None

    @extend_schema_field(StrictCharField(allow_null=True))
    def get_enterprise(self, obj: Any) -> str | None:
        membership = self._membership(obj)
        return membership.enterprise.credit_code if membership is not None and membership.enterprise_id else None


class UserStatusSerializer(serializers.Serializer):
    reason = StrictCharField(max_length=500, help_text="Why; recorded in the user's admin history.")


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


@extend_schema_field(OpenApiTypes.BINARY)
class BinaryField(serializers.Field):
    """Schema marker for file downloads."""
