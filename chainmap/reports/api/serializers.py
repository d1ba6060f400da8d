"""API representations of reports, subscriptions and deliveries, and their inputs."""

from __future__ import annotations

from typing import Any, cast

from django.contrib.auth import get_user_model
from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from chainmap import models as m
from chainmap.core import roles
from chainmap.core.api.fields import LANGUAGE_CHOICES, StrictCharField, StrictModelSerializer
from chainmap.reports.services.subscriptions import SubscriptionInput


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

        request = self.context.get("request")
        # Recipients' addresses are personal data: subscribers read the report, not its mailing list.
        if request is None or not roles.is_official(request.user):
            return []
        # With many=True the serializer is a ListSerializer, its data a list (the stubs see a Serializer).
        return cast("list[dict[str, Any]]", DeliverySerializer(obj.deliveries.all(), many=True).data)

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_pdf_url(self, obj: m.Report) -> str | None:
        return self._url(obj, "pdf")

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_xlsx_url(self, obj: m.Report) -> str | None:
        return self._url(obj, "xlsx")


class SubscriptionSerializer(StrictModelSerializer):
    user = StrictCharField(source="user.username", read_only=True)
    chains: serializers.SlugRelatedField[m.Chain] = serializers.SlugRelatedField(
        many=True, slug_field="slug", read_only=True
    )
    clusters: serializers.SlugRelatedField[m.Cluster] = serializers.SlugRelatedField(
        many=True, slug_field="slug", read_only=True
    )
    regions: serializers.SlugRelatedField[m.Region] = serializers.SlugRelatedField(
        many=True, slug_field="code", read_only=True
    )

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

    def to_input(self) -> SubscriptionInput:
        """The validated fields as the service's input (the same the subscription page's form produces);
        ``user`` aside: it names whose subscription it is."""
        return SubscriptionInput.from_data({k: v for k, v in self.validated_data.items() if k != "user"})


class SubscriptionCreateSerializer(SubscriptionInputSerializer):
    user = serializers.SlugRelatedField(
        slug_field="username",
        queryset=get_user_model().objects.all(),
        required=False,
        help_text="Whose subscription (the joint office only); default: yours.",
    )


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
