"""Projects API: challenges (揭榜挂帅 / 赛马制) and applications. Visibility follows the pages
(``projects.challenges.selectors``: drafts and applications are internal → 404); actions are decided by
``projects.challenges.permissions`` (→ 403) and carried out by ``projects.challenges.services``."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from chainmap.core.api.caching import CachedListMixin
from chainmap.core.api.views import ApiViewSet, VersionedMixin
from chainmap.models import Bottleneck
from projects import models as pm
from projects.challenges import permissions, selectors
from projects.challenges import services as service
from projects.challenges.api import serializers as s
from projects.challenges.api.filters import ApplicationFilterSet, ChallengeFilterSet

# Kept for the modules that import them from here.


class ReadOnlyViewSet(CachedListMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    ordering_fields: list[str] = ["id"]


@extend_schema_view(
    create=extend_schema(
        request=s.ChallengeCreateSerializer, responses={201: s.ChallengeSerializer}, summary="Create a draft."
    ),
    update=extend_schema(
        request=s.ChallengeUpdateSerializer,
        responses=s.ChallengeSerializer,
        summary="Change a draft or published challenge.",
    ),
    partial_update=extend_schema(
        request=s.ChallengeUpdateSerializer,
        responses=s.ChallengeSerializer,
        summary="Change a draft or published challenge.",
    ),
)
class ChallengeViewSet(
    VersionedMixin,
    CachedListMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    ApiViewSet,
):
    """Challenges by code: drafts are visible to officials only. The chain's leading region and the joint
    office create, publish, review, award and close them. Each carries a version (ETag; If-Match required
    for PUT / PATCH) that every change moves: an edit, a lifecycle action, a phase gate."""

    serializer_class = s.ChallengeSerializer
    action_rules = {"create": permissions.can_create_challenges}
    filterset_class = ChallengeFilterSet
    lookup_field = "code"
    ordering_fields = ["code", "published_on", "deadline"]

    def get_queryset(self) -> QuerySet[pm.Challenge]:
        return (
            pm.Challenge.objects.visible_to(self.request.user).select_related("bottleneck").prefetch_related("phases")
        )

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.validated(s.ChallengeCreateSerializer)
        code = serializer.validated_data["bottleneck"]
        bottleneck = Bottleneck.objects.visible_to(request.user).filter(code=code).first()
        if bottleneck is None:
            raise ValidationError({"bottleneck": _("Unknown bottleneck.")})
        # May the user put challenges on it: the service's (403), as for the page.
        challenge = service.challenge_create(user=request.user, data=serializer.to_input(bottleneck=bottleneck))
        return self.show(challenge, code=status.HTTP_201_CREATED)

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        challenge = self._manage()
        expected = self.expected_version(challenge)
        serializer = self.validated(s.ChallengeUpdateSerializer, partial=kwargs.get("partial", False))
        return self.show(
            service.challenge_update(
                challenge_id=challenge.pk, user=request.user, changes=serializer.to_input(), expected_version=expected
            )
        )

    def _manage(self) -> pm.Challenge:
        """The visible challenge (404) the user may run (403, before the body is read, as the pages)."""
        challenge = self.get_object()
        service.check_can_manage_challenge(user=self.request.user, challenge=challenge)
        return challenge

    @extend_schema(request=None, responses=s.ChallengeSerializer, summary="Open the call (draft → published).")
    @action(detail=True, methods=["post"])
    def publish(self, request: Request, code: str | None = None) -> Response:
        challenge = self._manage()
        return self.show(service.challenge_publish(challenge_id=challenge.pk, user=request.user))

    @extend_schema(request=None, responses=s.ChallengeSerializer, summary="Close applications, start the review.")
    @action(detail=True, methods=["post"], url_path="start-review", url_name="start-review")
    def start_review(self, request: Request, code: str | None = None) -> Response:
        challenge = self._manage()
        return self.show(service.challenge_start_review(challenge_id=challenge.pk, user=request.user))

    @extend_schema(
        request=s.AwardSerializer,
        responses=s.ChallengeSerializer,
        summary="Award: one winner (揭榜挂帅) or the funded teams (赛马制); the bottleneck is taken.",
    )
    @action(detail=True, methods=["post"])
    def award(self, request: Request, code: str | None = None) -> Response:
        challenge = self._manage()
        data = self.input(s.AwardSerializer)
        winners = data.get("winners")
        return self.show(
            service.challenge_award(
                challenge_id=challenge.pk, user=request.user, winner_ids=list(winners) if winners is not None else None
            )
        )

    @extend_schema(request=None, responses=s.ChallengeSerializer, summary="Close (or call off) the challenge.")
    @action(detail=True, methods=["post"])
    def close(self, request: Request, code: str | None = None) -> Response:
        challenge = self._manage()
        return self.show(service.challenge_close(challenge_id=challenge.pk, user=request.user))

    @extend_schema(
        request=s.PhaseSaveSerializer,
        responses=s.ChallengeSerializer,
        summary="Add a phase gate (赛马制), or change the gate at `position`.",
    )
    @action(detail=True, methods=["post"])
    def phases(self, request: Request, code: str | None = None) -> Response:
        challenge = self._manage()
        valid = self.validated(s.PhaseSaveSerializer)
        service.phase_save(challenge_id=challenge.pk, user=request.user, data=valid.to_input())
        return self.show(challenge)

    @extend_schema(
        responses=s.RankingSerializer(many=True),
        summary="The review so far: average score per criterion and total per application, best first.",
    )
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def ranking(self, request: Request, code: str | None = None) -> Response:
        challenge = self._manage()
        ranked = selectors.ranked_applications(challenge=challenge)
        return Response(s.RankingSerializer([ranking for _application, ranking in ranked], many=True).data)


@extend_schema_view(
    create=extend_schema(
        request=s.ApplicationCreateSerializer,
        responses={201: s.ApplicationSerializer},
        summary="Apply to a published challenge for your enterprise.",
    )
)
class ApplicationViewSet(CachedListMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, ApiViewSet):
    """Applications to challenges: officials see all, an enterprise member its own enterprise's."""

    serializer_class = s.ApplicationSerializer
    action_rules = {"create": permissions.can_submit_applications}
    filterset_class = ApplicationFilterSet
    ordering_fields = ["id", "created_at", "status"]

    def get_queryset(self) -> QuerySet[pm.Application]:
        return (
            pm.Application.objects.visible_to(self.request.user)
            .select_related("challenge", "challenge__bottleneck", "enterprise", "phase_reached")
            .prefetch_related("consortium")
        )

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.validated(s.ApplicationCreateSerializer)
        challenge = (
            pm.Challenge.objects.visible_to(request.user).filter(code=serializer.validated_data["challenge"]).first()
        )
        if challenge is None:
            raise ValidationError({"challenge": _("Unknown challenge.")})
        application = service.application_submit(
            challenge_id=challenge.pk, user=request.user, data=serializer.to_input()
        )
        return self.show(application, code=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=s.ApplicationSerializer, summary="Withdraw your enterprise's application.")
    @action(detail=True, methods=["post"])
    def withdraw(self, request: Request, pk: str | None = None) -> Response:
        application = self.get_object()
        return self.show(service.application_withdraw(application_id=application.pk, user=request.user))

    @extend_schema(
        request=s.ScoreSerializer,
        responses=s.ReviewScoreSerializer(many=True),
        summary="Record your scores (0–100 per criterion; a new score replaces yours).",
    )
    @action(detail=True, methods=["post"])
    def score(self, request: Request, pk: str | None = None) -> Response:
        application = self.get_object()
        service.check_can_score(user=request.user, application=application)  # as the page, before the body
        data = self.input(s.ScoreSerializer)
        saved = service.application_score(
            application_id=application.pk, reviewer=request.user, scores=[dict(item) for item in data["scores"]]
        )
        return Response(s.ReviewScoreSerializer(saved, many=True).data)

    @extend_schema(
        request=s.DecisionSerializer,
        responses=s.ApplicationSerializer,
        summary="Shortlist, fund (赛马制), advance or eliminate at a gate (赛马制), or reject.",
    )
    @action(detail=True, methods=["post"])
    def decide(self, request: Request, pk: str | None = None) -> Response:
        application = self.get_object()
        service.check_can_manage_challenge(user=request.user, challenge=application.challenge)  # as the page
        data = self.input(s.DecisionSerializer)
        decided = service.application_decide(
            application_id=application.pk,
            user=request.user,
            decision=data["decision"],
            phase_position=data.get("phase"),
        )
        return self.show(decided)
