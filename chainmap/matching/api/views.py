"""API: matching rounds, their matches and outcomes, and the 一月一链 / 一季一群 calendars."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from chainmap import models as m
from chainmap.accounts import permissions
from chainmap.core import roles
from chainmap.core.api.caching import CachedListMixin
from chainmap.core.api.errors import PreconditionFailed
from chainmap.core.api.views import ApiViewSet, VersionedMixin, require
from chainmap.matching.api import serializers as matching_serializers
from chainmap.matching.api.filters import CalendarEntryFilterSet, MatchFilterSet, MatchingRoundFilterSet
from chainmap.matching.services import rounds
from chainmap.reports.api import serializers as reports_serializers
from chainmap.reports.services import reports as report_services

# --- matching rounds, matches, reports, subscriptions --------------------------------------------


class RoundCreateSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=m.RoundKind.choices)
    period = serializers.DateField(help_text="Any day of the period; the round of that month or quarter.")


@extend_schema_view(
    create=extend_schema(
        request=RoundCreateSerializer,
        responses={201: matching_serializers.MatchingRoundSerializer},
        summary="The period's round (created from the calendar if missing).",
    )
)
class MatchingRoundViewSet(CachedListMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, ApiViewSet):
    """Matching rounds (一月一链 / 一季一群) and their lifecycle actions (officials)."""

    serializer_class = matching_serializers.MatchingRoundSerializer
    filterset_class = MatchingRoundFilterSet
    ordering_fields = ["period", "status"]
    throttle_scopes = {
        "match": "matching",
        "open": "matching",
        "hold": "matching",
        "close": "matching",
        "report_build": "reports",
    }

    def get_queryset(self) -> QuerySet[m.MatchingRound]:
        return m.MatchingRound.objects.visible_to(self.request.user).select_related("chain", "cluster")

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        require(permissions.can_run_round(user=request.user))  # 403 whatever the body, as every create
        data = self.input(RoundCreateSerializer)
        # The page's "new round" service: the period's round as the calendar has it (the subject is
        # the calendar's; changing it is the calendar's page).
        round_, _created = rounds.round_create(
            kind=data["kind"], period=data["period"], subject_id=None, user=request.user
        )
        return self.show(round_, code=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=matching_serializers.MatchingRoundSerializer)
    @action(detail=True, methods=["post"])
    def open(self, request: Request, pk: str | None = None) -> Response:
        round_ = self.get_object()
        require(permissions.can_run_round(user=request.user))
        return self.show(rounds.round_open(round_id=round_.pk, user=request.user))

    @extend_schema(
        request=None,
        responses={202: matching_serializers.MatchingRoundSerializer},
        summary="Match the round in the background (202); 202 too when a worker is matching it already.",
    )
    @action(detail=True, methods=["post"])
    def match(self, request: Request, pk: str | None = None) -> Response:
        round_ = self.get_object()
        require(permissions.can_run_round(user=request.user))
        rounds.round_match_enqueue(round_id=round_.pk, user=request.user)
        return self.show(round_, code=status.HTTP_202_ACCEPTED)

    @extend_schema(
        request=matching_serializers.RoundActionSerializer, responses=matching_serializers.MatchingRoundSerializer
    )
    @action(detail=True, methods=["post"])
    def hold(self, request: Request, pk: str | None = None) -> Response:
        round_ = self.get_object()
        require(permissions.can_run_round(user=request.user))
        data = self.input(matching_serializers.RoundActionSerializer)
        if not data.get("held_on"):
            raise ValidationError({"held_on": _("Enter the date the meeting took place.")})
        return self.show(rounds.round_hold(round_id=round_.pk, user=request.user, held_on=data["held_on"]))

    @extend_schema(request=None, responses=matching_serializers.MatchingRoundSerializer)
    @action(detail=True, methods=["post"])
    def close(self, request: Request, pk: str | None = None) -> Response:
        round_ = self.get_object()
        require(permissions.can_run_round(user=request.user))
        return self.show(rounds.round_close(round_id=round_.pk, user=request.user))

    @extend_schema(
        request=reports_serializers.ReportBuildSerializer,
        responses={202: matching_serializers.MatchingRoundSerializer},
        summary="Build (or rebuild) the round's report in the background (202).",
        description=(
            "Renders the report from its frozen snapshot; with `refresh` a new snapshot of the round's data is "
            "taken first. While a worker is building it already, the second build does nothing. The report "
            "appears under /api/reports/?round=<id> when ready."
        ),
    )
    @action(detail=True, methods=["post"], url_path="report/build", url_name="report-build")
    def report_build(self, request: Request, pk: str | None = None) -> Response:
        round_ = self.get_object()
        require(permissions.can_run_round(user=request.user))
        data = self.input(reports_serializers.ReportBuildSerializer)
        report_services.report_build_request(round_id=round_.pk, user=request.user, refresh=data["refresh"])
        return self.show(round_, code=status.HTTP_202_ACCEPTED)


class MatchViewSet(CachedListMixin, mixins.RetrieveModelMixin, ApiViewSet):
    """Ranked candidates of matching rounds, with their follow-up outcome."""

    serializer_class = matching_serializers.MatchSerializer
    filterset_class = MatchFilterSet
    ordering_fields = ["rank", "score", "id"]

    def get_queryset(self) -> QuerySet[m.Match]:
        matches = m.Match.objects.select_related("enterprise", "bottleneck")
        return matches if permissions.can_view_reports(user=self.request.user) else matches.none()

    @extend_schema(request=matching_serializers.MatchOutcomeSerializer, responses=matching_serializers.MatchSerializer)
    @action(detail=True, methods=["post"])
    def outcome(self, request: Request, pk: str | None = None) -> Response:
        match = self.get_object()
        require(permissions.can_record_outcome(user=request.user, match=match))
        data = self.input(matching_serializers.MatchOutcomeSerializer)
        match = rounds.match_record_outcome(
            match_id=match.pk, user=request.user, outcome=data["outcome"], note=data["note"]
        )
        return self.show(match)


# --- calendars, deliveries, users ----------------------------------------------------------------


def _calendar_subject_id(kind: str, subject: str) -> int:
    model = m.Chain if kind == m.RoundKind.CHAIN_MONTH else m.Cluster
    subject_id = model.objects.filter(slug=subject).values_list("pk", flat=True).first()
    if subject_id is None:
        message = (
            _("Choose one of the chains.") if kind == m.RoundKind.CHAIN_MONTH else _("Choose one of the clusters.")
        )
        raise ValidationError({"subject": message})
    return subject_id


def _subject_field(error: ValidationError) -> ValidationError:
    """The service names the subject ``subject_id``; the API calls it ``subject``."""
    if hasattr(error, "error_dict") and "subject_id" in error.error_dict:
        return ValidationError({"subject": error.error_dict["subject_id"]})
    return error


@extend_schema_view(
    create=extend_schema(
        request=matching_serializers.CalendarEntrySetSerializer,
        responses={
            200: matching_serializers.CalendarEntrySerializer,
            201: matching_serializers.CalendarEntrySerializer,
        },
        summary="Give a period to a chain (一月一链) or a cluster (一季一群); 201 when the period had none.",
    ),
    update=extend_schema(
        request=matching_serializers.CalendarSubjectSerializer, responses=matching_serializers.CalendarEntrySerializer
    ),
    partial_update=extend_schema(
        request=matching_serializers.CalendarSubjectSerializer, responses=matching_serializers.CalendarEntrySerializer
    ),
)
class CalendarEntryViewSet(
    VersionedMixin,
    CachedListMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    ApiViewSet,
):
    """The 一月一链 (chain of the month) and 一季一群 (cluster of the quarter) calendars; the joint office
    edits them. A period whose round is matched is locked: changing it answers 400 naming ``period``.
    Each entry carries a version (ETag; If-Match required for PUT / PATCH) that moves when its subject
    changes, whichever way (also through ``POST`` or ``fill``). PATCH without ``subject`` changes nothing."""

    serializer_class = matching_serializers.CalendarEntrySerializer
    filterset_class = CalendarEntryFilterSet
    ordering_fields = ["period", "kind"]

    def get_queryset(self) -> QuerySet[m.CalendarEntry]:
        entries = m.CalendarEntry.objects.select_related("chain", "cluster").order_by("kind", "period")
        return entries if roles.role_of(self.request.user) is not None else entries.none()

    def get_serializer_context(self) -> dict[str, Any]:
        context = super().get_serializer_context()
        context["locked"] = set(
            m.MatchingRound.objects.filter(status__in=rounds.LOCKED_STATUSES).values_list("kind", "period")
        )
        return context

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        require(permissions.can_manage_calendars(user=request.user))
        data = self.input(matching_serializers.CalendarEntrySetSerializer)
        kind = data["kind"]
        start = rounds.period_start(kind=kind, day=data["period"])
        existed = m.CalendarEntry.objects.filter(kind=kind, period=start).exists()
        try:
            entry = rounds.calendar_entry_set(
                kind=kind, period=start, subject_id=_calendar_subject_id(kind, data["subject"]), user=request.user
            )
        except ValidationError as error:
            raise _subject_field(error) from None
        return self.show(entry, code=status.HTTP_200_OK if existed else status.HTTP_201_CREATED)

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        entry = self.get_object()
        require(permissions.can_manage_calendars(user=request.user))
        expected = self.expected_version(entry)
        data = self.input(matching_serializers.CalendarSubjectSerializer, partial=kwargs.get("partial", False))
        if "subject" not in data:  # a partial update naming nothing to change
            fresh = self.get_queryset().get(pk=entry.pk)
            if fresh.version != expected:
                raise PreconditionFailed()
            return self.show(fresh)
        try:
            entry = rounds.calendar_entry_set(
                kind=entry.kind,
                period=entry.period,
                subject_id=_calendar_subject_id(entry.kind, data["subject"]),
                user=request.user,
                expected_version=expected,
            )
        except ValidationError as error:
            raise _subject_field(error) from None
        return self.show(entry)

    @extend_schema(
        request=matching_serializers.CalendarFillSerializer,
        responses=matching_serializers.CalendarEntrySerializer(many=True),
        summary="Give every unlocked period of the year its default round-robin subject (the joint office).",
    )
    @action(detail=False, methods=["post"], filter_backends=[], pagination_class=None)
    def fill(self, request: Request) -> Response:
        require(permissions.can_manage_calendars(user=request.user))
        data = self.input(matching_serializers.CalendarFillSerializer)
        entries = rounds.calendar_fill_round_robin(kind=data["kind"], year=data["year"], user=request.user)
        return Response(self.get_serializer(entries, many=True).data)
