"""Reads of challenges and applications shared by the pages and the API.

Visibility: officials see every challenge (drafts too) and every application; any other role sees
challenges once published, and an enterprise member only its own enterprise's applications. Whatever
these querysets leave out answers 404.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Avg, Count, Q, QuerySet

from chainmap.core import roles
from chainmap.core.actors import Actor
from projects import models as pm
from projects.challenges import permissions


def challenge_list(
    *, user: Actor, chain: str | None = None, mechanism: str | None = None, status: str | None = None
) -> QuerySet[pm.Challenge]:
    """The challenges list page: filtered, with the bottleneck and chain in the same query and the number of
    applications the user may see counted in it."""
    challenges = pm.Challenge.objects.visible_to(user).select_related("bottleneck", "bottleneck__chain")
    if chain:
        challenges = challenges.filter(bottleneck__chain__slug=chain)
    if mechanism:
        challenges = challenges.filter(mechanism=mechanism)
    if status:
        challenges = challenges.filter(status=status)
    application_ids = pm.Application.objects.visible_to(user).values("pk")
    return challenges.annotate(
        application_count=Count("applications", filter=Q(applications__in=application_ids), distinct=True)
    ).order_by("-published_on", "code")


def challenge_queryset(*, user: Actor) -> QuerySet[pm.Challenge]:
    return pm.Challenge.objects.visible_to(user).select_related("bottleneck", "bottleneck__chain", "published_by")


@dataclass
class Ranking:
    """One application's review: average score per criterion (over reviewers), their mean, how many reviewers."""

    application_id: int
    averages: dict[str, Decimal | None]
    total: Decimal | None
    reviewers: int

    @property
    def ordered(self) -> list[Decimal | None]:
        """The averages in the order of ``Criterion`` (for tables)."""
        return [self.averages.get(value) for value in pm.Criterion.values]


def _round(value: Any) -> Decimal | None:
    if value is None:
        return None
    return Decimal(value).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def application_ranking(*, application_ids: list[int]) -> dict[int, Ranking]:
    """Average score per criterion and the total (mean of the criteria averages), one query for all."""
    rows = (
        pm.ReviewScore.objects.filter(application_id__in=application_ids)
        .values("application_id", "criterion")
        .annotate(average=Avg("score"), reviewers=Count("reviewer", distinct=True))
    )
    rankings = {
        pk: Ranking(application_id=pk, averages=dict.fromkeys(pm.Criterion.values), total=None, reviewers=0)
        for pk in application_ids
    }
    for row in rows:
        ranking = rankings[row["application_id"]]
        ranking.averages[row["criterion"]] = _round(row["average"])
        ranking.reviewers = max(ranking.reviewers, row["reviewers"])
    for ranking in rankings.values():
        scored = [value for value in ranking.averages.values() if value is not None]
        if scored:
            ranking.total = _round(sum(scored) / len(scored))
    return rankings


def ranked_applications(*, challenge: pm.Challenge) -> list[tuple[pm.Application, Ranking]]:
    """A challenge's applications, best total first (unscored last)."""
    applications = list(challenge.applications.select_related("enterprise").order_by("pk"))
    rankings = application_ranking(application_ids=[a.pk for a in applications])
    pairs = [(a, rankings[a.pk]) for a in applications]
    return sorted(pairs, key=lambda pair: (pair[1].total is None, -(pair[1].total or 0), pair[0].pk))


@dataclass
class ApplicationRow:
    application: pm.Application
    ranking: Ranking | None
    can_withdraw: bool
    can_score: bool
    can_decide: bool
    my_scores: dict[str, Any] = field(default_factory=dict)


@dataclass
class ChallengePage:
    challenge: pm.Challenge
    phases: list[pm.ChallengePhase]
    rows: list[ApplicationRow]
    show_scores: bool
    can_edit: bool
    can_manage: bool
    can_apply: bool
    own_application: pm.Application | None


def challenge_page(*, user: Actor, challenge: pm.Challenge) -> ChallengePage:
    """The challenge page: phases, the applications the user may see (with the review summary for
    officials) and which actions they may take. A fixed number of queries whatever the rows."""
    phases = list(challenge.phases.all())
    applications = list(
        pm.Application.objects.visible_to(user)
        .filter(challenge=challenge)
        .select_related("enterprise", "enterprise__region", "phase_reached")
        .prefetch_related("consortium")
        .order_by("pk")
    )
    for application in applications:
        application.challenge = challenge  # the rules read the challenge's status: no query per row
    show_scores = roles.is_official(user)
    rankings = application_ranking(application_ids=[a.pk for a in applications]) if show_scores else {}
    can_manage = permissions.can_manage_challenge(user=user, challenge=challenge)
    my_scores: dict[int, dict[str, Any]] = {}
    if can_manage and applications:
        for score in pm.ReviewScore.objects.filter(
            application_id__in=[a.pk for a in applications], reviewer_id=user.pk
        ):
            my_scores.setdefault(score.application_id, {})[score.criterion] = score
    reviewing = challenge.status == pm.ChallengeStatus.REVIEWING
    rows = [
        ApplicationRow(
            application=application,
            ranking=rankings.get(application.pk),
            can_withdraw=permissions.can_withdraw_application(user=user, application=application),
            can_score=reviewing and can_manage and roles.member_enterprise_id(user) != application.enterprise_id,
            can_decide=reviewing and can_manage,
            my_scores=my_scores.get(application.pk, {}),
        )
        for application in applications
    ]
    if show_scores:
        rows.sort(
            key=lambda row: (
                row.ranking is None or row.ranking.total is None,
                -(row.ranking.total if row.ranking and row.ranking.total is not None else 0),
                row.application.pk,
            )
        )
    enterprise_id = roles.member_enterprise_id(user)
    own = next((a for a in applications if a.enterprise_id == enterprise_id), None) if enterprise_id else None
    return ChallengePage(
        challenge=challenge,
        phases=phases,
        rows=rows,
        show_scores=show_scores,
        can_edit=permissions.can_edit_challenge(user=user, challenge=challenge),
        can_manage=can_manage,
        can_apply=own is None and permissions.can_apply(user=user, challenge=challenge),
        own_application=own,
    )


def challenges_on_bottleneck(bottleneck_id: int) -> int:
    """How many challenges (drafts too) attack the bottleneck (shown on chainmap's bottleneck page)."""
    return pm.Challenge.objects.filter(bottleneck_id=bottleneck_id).count()
