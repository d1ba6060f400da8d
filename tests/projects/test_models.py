"""Constraints of joint projects and challenges."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from projects import models as pm
from tests import factories as f


def rejected(build) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        build()


def test_project_ends_after_it_starts(regions) -> None:
    rejected(lambda: f.ProjectFactory(starts_on=dt.date(2026, 1, 1), ends_on=dt.date(2025, 1, 1)))


def test_project_budget_not_negative(regions) -> None:
    rejected(lambda: f.ProjectFactory(budget=Decimal("-1")))


def test_accepted_project_has_an_acceptance_date(regions) -> None:
    rejected(lambda: f.ProjectFactory(status=pm.ProjectStatus.ACCEPTED))


def test_one_lead_participant(regions) -> None:
    project = f.ProjectFactory()
    pm.Participant.objects.create(project=project, unit_name="A", region=regions["BJ"], role="lead")
    rejected(lambda: pm.Participant.objects.create(project=project, unit_name="B", region=regions["TJ"], role="lead"))


@pytest.mark.parametrize("progress", [101])
def test_milestone_progress_0_100(regions, progress: int) -> None:
    project = f.ProjectFactory()
    rejected(
        lambda: pm.Milestone.objects.create(
            project=project, position=1, title="m", due_on=dt.date(2026, 6, 1), progress=progress
        )
    )


def test_completed_milestone_is_at_100(regions) -> None:
    project = f.ProjectFactory()
    rejected(
        lambda: pm.Milestone.objects.create(
            project=project,
            position=1,
            title="m",
            due_on=dt.date(2026, 6, 1),
            progress=80,
            completed_on=dt.date(2026, 5, 1),
        )
    )


def test_jiebang_has_one_winner(regions) -> None:
    rejected(lambda: f.ChallengeFactory(mechanism=pm.ChallengeMechanism.JIEBANG, max_funded_teams=2))


def test_saima_funds_several_teams(regions) -> None:
    rejected(lambda: f.ChallengeFactory(mechanism=pm.ChallengeMechanism.SAIMA, max_funded_teams=1))
    assert f.ChallengeFactory(mechanism=pm.ChallengeMechanism.SAIMA, max_funded_teams=3).max_funded_teams == 3


def test_published_challenge_has_a_date_and_deadline_after_it(regions) -> None:
    rejected(lambda: f.ChallengeFactory(status=pm.ChallengeStatus.PUBLISHED))
    rejected(
        lambda: f.ChallengeFactory(
            status=pm.ChallengeStatus.PUBLISHED, published_on=dt.date(2026, 3, 1), deadline=dt.date(2026, 2, 1)
        )
    )


def test_one_application_per_applicant(regions) -> None:
    challenge = f.ChallengeFactory()
    enterprise = f.EnterpriseFactory()
    pm.Application.objects.create(challenge=challenge, enterprise=enterprise, team_lead="张", proposal="p")
    rejected(
        lambda: pm.Application.objects.create(challenge=challenge, enterprise=enterprise, team_lead="李", proposal="q")
    )


def test_review_score_0_100_once_per_criterion(regions, joint_office) -> None:
    challenge = f.ChallengeFactory()
    application = pm.Application.objects.create(
        challenge=challenge, enterprise=f.EnterpriseFactory(), team_lead="张", proposal="p"
    )
    rejected(
        lambda: pm.ReviewScore.objects.create(
            application=application, reviewer=joint_office, criterion="team", score=101
        )
    )
    pm.ReviewScore.objects.create(application=application, reviewer=joint_office, criterion="team", score=90)
    rejected(
        lambda: pm.ReviewScore.objects.create(
            application=application, reviewer=joint_office, criterion="team", score=80
        )
    )
