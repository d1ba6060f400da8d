"""Services of challenges and applications: every transition, refusals naming the field, the review panel's
rules (an applicant's member never scores), 揭榜挂帅's one winner, 赛马制's funding limit, and the awarded
bottleneck taken with a history record."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from chainmap import models as m
from projects import models as pm
from projects.challenges import selectors
from projects.challenges import services as svc
from tests import factories as f

TODAY = timezone.localdate()


def fields_of(exc: pytest.ExceptionInfo[ValidationError]) -> set[str]:
    return set(exc.value.message_dict)


@pytest.fixture
def chain(regions):
    chain = f.ChainFactory(slug="hydrogen", name="氢能")
    f.TermFactory(
        chain=chain, region=regions["BJ"], starts_on=TODAY - dt.timedelta(days=10), ends_on=TODAY + dt.timedelta(90)
    )
    return chain


@pytest.fixture
def bottleneck(chain):
    return f.BottleneckFactory(chain=chain, code="KD-100", status=m.BottleneckStatus.PUBLISHED)


@pytest.fixture
def other_enterprise(regions):
    return f.EnterpriseFactory(name="河北示例", region=regions["HE"])


@pytest.fixture
def other_member(other_enterprise):
    return f.member("he_member", m.Role.ENTERPRISE_MEMBER, enterprise=other_enterprise)


def submit(*, challenge_id: int, user: Any, **data: Any) -> pm.Application:
    """``application_submit`` with the application's fields (``today`` aside) as its input."""
    today = data.pop("today", None)
    return svc.application_submit(challenge_id=challenge_id, user=user, data=data, today=today)


def create(user: Any, bottleneck: m.Bottleneck, **kwargs: Any) -> pm.Challenge:
    values: dict[str, Any] = {
        "code": "jb-01",
        "mechanism": "jiebang",
        "title": "质子交换膜攻关",
        "deadline": TODAY + dt.timedelta(days=30),
    } | kwargs
    return svc.challenge_create(user=user, data={"bottleneck_id": bottleneck.pk, **values})


def published(user: Any, bottleneck: m.Bottleneck, **kwargs: Any) -> pm.Challenge:
    challenge = create(user, bottleneck, **kwargs)
    return svc.challenge_publish(challenge_id=challenge.pk, user=user)


def reviewing(user: Any, bottleneck: m.Bottleneck, applicants: list[Any], **kwargs: Any):
    challenge = published(user, bottleneck, **kwargs)
    applications = [
        submit(challenge_id=challenge.pk, user=applicant, team_lead="王工", proposal="方案") for applicant in applicants
    ]
    svc.challenge_start_review(challenge_id=challenge.pk, user=user)
    return challenge, applications


# --- create / update / publish ------------------------------------------------------------------


def test_it_creates_a_draft_with_the_code_upper_case(bj_official, bottleneck) -> None:
    challenge = create(bj_official, bottleneck, budget="300.5")
    assert (challenge.code, challenge.status, challenge.max_funded_teams) == ("JB-01", "draft", 1)
    assert challenge.budget == Decimal("300.50")
    assert challenge.published_on is None


def test_it_creates_a_race_with_two_teams_and_its_gates(joint_office, bottleneck) -> None:
    challenge = create(
        joint_office,
        bottleneck,
        code="SM-01",
        mechanism="saima",
        phases=[
            {"name": "初赛", "gate_on": TODAY + dt.timedelta(60)},
            {"name": "决赛", "gate_on": TODAY + dt.timedelta(120)},
        ],
    )
    assert challenge.max_funded_teams == 2
    assert list(challenge.phases.values_list("position", "name")) == [(1, "初赛"), (2, "决赛")]


@pytest.mark.parametrize("persona", ["tj_official", "he_official", "enterprise_member", "subscriber"])
def test_only_the_leader_or_joint_office_creates(persona, bottleneck, request) -> None:
    with pytest.raises(PermissionDenied):
        create(request.getfixturevalue(persona), bottleneck)
    assert not pm.Challenge.objects.exists()


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"mechanism": "jiebang", "max_funded_teams": 2}, "max_funded_teams"),
        ({"mechanism": "saima", "max_funded_teams": 1}, "max_funded_teams"),
        ({"mechanism": "lottery"}, "mechanism"),
        ({"title": "  "}, "title"),
        ({"budget": "-1"}, "budget"),
        ({"deadline": TODAY - dt.timedelta(days=1)}, "deadline"),
        ({"code": ""}, "code"),
        ({"phases": [{"name": "初赛", "gate_on": TODAY}]}, "phases"),
    ],
)
def test_it_refuses_bad_input_naming_the_field(bj_official, bottleneck, kwargs, field) -> None:
    with pytest.raises(ValidationError) as exc:
        create(bj_official, bottleneck, **kwargs)
    assert field in fields_of(exc)
    assert not pm.Challenge.objects.exists()


def test_gates_must_be_in_date_order(bj_official, bottleneck) -> None:
    gates = [
        {"name": "初赛", "gate_on": TODAY + dt.timedelta(60)},
        {"name": "决赛", "gate_on": TODAY + dt.timedelta(5)},
    ]
    with pytest.raises(ValidationError) as exc:
        create(bj_official, bottleneck, mechanism="saima", phases=gates)
    assert "phases.1.gate_on" in fields_of(exc)


def test_a_duplicate_code_is_refused(bj_official, bottleneck) -> None:
    create(bj_official, bottleneck)
    with pytest.raises(ValidationError) as exc:
        create(bj_official, bottleneck, code="JB-01")
    assert fields_of(exc) == {"code"}


def test_a_solved_bottleneck_takes_no_challenge(bj_official, chain) -> None:
    solved = f.BottleneckFactory(chain=chain, status=m.BottleneckStatus.ACCEPTED, mechanism="jiebang")
    with pytest.raises(ValidationError) as exc:
        create(bj_official, solved)
    assert fields_of(exc) == {"bottleneck"}


def test_update_changes_a_draft_and_replaces_gates(bj_official, bottleneck) -> None:
    challenge = create(bj_official, bottleneck)
    svc.challenge_update(
        challenge_id=challenge.pk,
        user=bj_official,
        changes={
            "mechanism": "saima",
            "title": "新标题",
            "phases": [{"name": "中期", "gate_on": TODAY + dt.timedelta(40)}],
        },
    )
    challenge.refresh_from_db()
    assert (challenge.mechanism, challenge.max_funded_teams, challenge.title) == ("saima", 2, "新标题")
    assert challenge.phases.count() == 1


def test_update_refuses_unknown_fields_and_a_published_mechanism_change(bj_official, bottleneck) -> None:
    challenge = published(bj_official, bottleneck)
    with pytest.raises(ValidationError) as exc:
        svc.challenge_update(challenge_id=challenge.pk, user=bj_official, changes={"status": "draft"})
    assert fields_of(exc) == {"status"}
    with pytest.raises(ValidationError) as exc:
        svc.challenge_update(challenge_id=challenge.pk, user=bj_official, changes={"mechanism": "saima"})
    assert fields_of(exc) == {"mechanism"}


def test_update_is_refused_once_under_review(bj_official, bottleneck) -> None:
    challenge = published(bj_official, bottleneck)
    svc.challenge_start_review(challenge_id=challenge.pk, user=bj_official)
    with pytest.raises(ValidationError) as exc:
        svc.challenge_update(challenge_id=challenge.pk, user=bj_official, changes={"title": "晚了"})
    assert fields_of(exc) == {"status"}


def test_publish_sets_today_and_the_publisher(bj_official, bottleneck) -> None:
    challenge = published(bj_official, bottleneck)
    assert (challenge.status, challenge.published_on, challenge.published_by) == ("published", TODAY, bj_official)


def test_publish_needs_a_deadline_not_passed(bj_official, bottleneck) -> None:
    challenge = create(bj_official, bottleneck, deadline=None)
    with pytest.raises(ValidationError) as exc:
        svc.challenge_publish(challenge_id=challenge.pk, user=bj_official)
    assert fields_of(exc) == {"deadline"}
    pm.Challenge.objects.filter(pk=challenge.pk).update(deadline=TODAY - dt.timedelta(days=1))
    with pytest.raises(ValidationError) as exc:
        svc.challenge_publish(challenge_id=challenge.pk, user=bj_official)
    assert fields_of(exc) == {"deadline"}
    assert pm.Challenge.objects.get(pk=challenge.pk).status == "draft"


def test_publish_needs_a_published_bottleneck(bj_official, chain) -> None:
    collected = f.BottleneckFactory(chain=chain, status=m.BottleneckStatus.COLLECTED)
    challenge = create(bj_official, collected)
    with pytest.raises(ValidationError) as exc:
        svc.challenge_publish(challenge_id=challenge.pk, user=bj_official)
    assert fields_of(exc) == {"bottleneck"}


@pytest.mark.parametrize("step", ["publish", "start_review", "award", "close"])
def test_illegal_transitions_name_the_status(joint_office, bottleneck, step) -> None:
    challenge = create(joint_office, bottleneck)
    if step == "publish":
        svc.challenge_publish(challenge_id=challenge.pk, user=joint_office)
    call = {
        "publish": lambda: svc.challenge_publish(challenge_id=challenge.pk, user=joint_office),
        "start_review": lambda: svc.challenge_start_review(challenge_id=challenge.pk, user=joint_office),
        "award": lambda: svc.challenge_award(challenge_id=challenge.pk, user=joint_office, winner_ids=[1]),
        "close": lambda: svc.challenge_close(challenge_id=challenge.pk, user=joint_office),
    }[step]
    with pytest.raises(ValidationError) as exc:
        call()
    assert fields_of(exc) == {"status"}


def test_the_leader_who_lost_the_term_can_no_longer_publish(bj_official, tj_official, bottleneck, regions) -> None:
    challenge = create(bj_official, bottleneck)
    m.LeadershipTerm.objects.update(region=regions["TJ"])
    with pytest.raises(PermissionDenied):
        svc.challenge_publish(challenge_id=challenge.pk, user=bj_official)
    assert svc.challenge_publish(challenge_id=challenge.pk, user=tj_official).status == "published"


# --- applications -------------------------------------------------------------------------------


def test_a_member_applies_for_their_enterprise_with_a_consortium(
    bj_official, bottleneck, enterprise_member, member_enterprise, other_enterprise
) -> None:
    challenge = published(bj_official, bottleneck)
    application = submit(
        challenge_id=challenge.pk,
        user=enterprise_member,
        team_lead="王工",
        proposal="技术方案",
        consortium_ids=[other_enterprise.pk],
    )
    assert application.enterprise == member_enterprise
    assert application.submitted_by == enterprise_member
    assert list(application.consortium.all()) == [other_enterprise]


def test_a_second_application_names_the_challenge(bj_official, bottleneck, enterprise_member) -> None:
    challenge = published(bj_official, bottleneck)
    submit(challenge_id=challenge.pk, user=enterprise_member, team_lead="王工", proposal="方案")
    with pytest.raises(ValidationError) as exc:
        submit(challenge_id=challenge.pk, user=enterprise_member, team_lead="李工", proposal="方案二")
    assert fields_of(exc) == {"challenge"}
    assert pm.Application.objects.count() == 1


def test_applying_after_the_deadline_names_the_deadline(bj_official, bottleneck, enterprise_member) -> None:
    challenge = published(bj_official, bottleneck, deadline=TODAY)
    with pytest.raises(ValidationError) as exc:
        submit(
            challenge_id=challenge.pk,
            user=enterprise_member,
            team_lead="王工",
            proposal="方案",
            today=TODAY + dt.timedelta(days=1),
        )
    assert fields_of(exc) == {"deadline"}


def test_the_applicant_is_not_its_own_consortium_member(
    bj_official, bottleneck, enterprise_member, member_enterprise
) -> None:
    challenge = published(bj_official, bottleneck)
    with pytest.raises(ValidationError) as exc:
        submit(
            challenge_id=challenge.pk,
            user=enterprise_member,
            team_lead="王工",
            proposal="方案",
            consortium_ids=[member_enterprise.pk],
        )
    assert fields_of(exc) == {"consortium"}


def test_only_members_apply_and_only_to_published_challenges(bj_official, bottleneck, enterprise_member) -> None:
    draft = create(bj_official, bottleneck)
    with pytest.raises(ValidationError) as exc:
        submit(challenge_id=draft.pk, user=enterprise_member, team_lead="王工", proposal="方案")
    assert fields_of(exc) == {"status"}
    svc.challenge_publish(challenge_id=draft.pk, user=bj_official)
    with pytest.raises(PermissionDenied):
        submit(challenge_id=draft.pk, user=bj_official, team_lead="王工", proposal="方案")


def test_withdraw_own_application_before_the_award(bj_official, bottleneck, enterprise_member, other_member) -> None:
    challenge = published(bj_official, bottleneck)
    application = submit(challenge_id=challenge.pk, user=enterprise_member, team_lead="王工", proposal="方案")
    with pytest.raises(PermissionDenied):
        svc.application_withdraw(application_id=application.pk, user=other_member)
    assert svc.application_withdraw(application_id=application.pk, user=enterprise_member).status == "withdrawn"
    with pytest.raises(ValidationError) as exc:
        svc.application_withdraw(application_id=application.pk, user=enterprise_member)
    assert fields_of(exc) == {"status"}


# --- review ---------------------------------------------------------------------------------------


def test_scores_upsert_per_reviewer_and_criterion_and_rank(
    bj_official, joint_office, bottleneck, enterprise_member, other_member
) -> None:
    challenge, (first, second) = reviewing(bj_official, bottleneck, [enterprise_member, other_member])
    svc.application_score(
        application_id=first.pk, reviewer=bj_official, scores=[{"criterion": "technology", "score": 80}]
    )
    svc.application_score(
        application_id=first.pk,
        reviewer=bj_official,
        scores=[{"criterion": "technology", "score": 90, "comment": "更新"}, {"criterion": "team", "score": 70}],
    )
    svc.application_score(
        application_id=first.pk, reviewer=joint_office, scores=[{"criterion": "technology", "score": 70}]
    )
    svc.application_score(application_id=second.pk, reviewer=bj_official, scores=[{"criterion": "cost", "score": 95}])
    assert pm.ReviewScore.objects.filter(application=first).count() == 3
    rankings = selectors.application_ranking(application_ids=[first.pk, second.pk])
    assert rankings[first.pk].averages["technology"] == Decimal("80.00")
    assert rankings[first.pk].averages["team"] == Decimal("70.00")
    assert rankings[first.pk].total == Decimal("75.00")
    assert rankings[first.pk].reviewers == 2
    ranked = selectors.ranked_applications(challenge=challenge)
    assert [application.pk for application, _ranking in ranked] == [second.pk, first.pk]


@pytest.mark.parametrize(
    ("scores", "field"),
    [
        ([{"criterion": "technology", "score": 101}], "scores.0.score"),
        ([{"criterion": "technology", "score": -1}], "scores.0.score"),
        ([{"criterion": "beauty", "score": 50}], "scores.0.criterion"),
        ([{"criterion": "team", "score": 5}, {"criterion": "team", "score": 6}], "scores.1.criterion"),
        ([], "scores"),
    ],
)
def test_bad_scores_name_the_field(bj_official, bottleneck, enterprise_member, scores, field) -> None:
    _challenge, (application,) = reviewing(bj_official, bottleneck, [enterprise_member])
    with pytest.raises(ValidationError) as exc:
        svc.application_score(application_id=application.pk, reviewer=bj_official, scores=scores)
    assert fields_of(exc) == {field}
    assert not pm.ReviewScore.objects.exists()


def test_an_applicants_member_never_scores(bj_official, bottleneck, enterprise_member) -> None:
    _challenge, (application,) = reviewing(bj_official, bottleneck, [enterprise_member])
    with pytest.raises(PermissionDenied):
        svc.application_score(
            application_id=application.pk, reviewer=enterprise_member, scores=[{"criterion": "team", "score": 100}]
        )
    assert not pm.ReviewScore.objects.exists()


def test_other_regions_do_not_score(tj_official, bj_official, bottleneck, enterprise_member) -> None:
    _challenge, (application,) = reviewing(bj_official, bottleneck, [enterprise_member])
    with pytest.raises(PermissionDenied):
        svc.application_score(
            application_id=application.pk, reviewer=tj_official, scores=[{"criterion": "team", "score": 50}]
        )


def test_scoring_waits_for_the_review(bj_official, bottleneck, enterprise_member) -> None:
    challenge = published(bj_official, bottleneck)
    application = submit(challenge_id=challenge.pk, user=enterprise_member, team_lead="王工", proposal="方案")
    with pytest.raises(ValidationError) as exc:
        svc.application_score(
            application_id=application.pk, reviewer=bj_official, scores=[{"criterion": "team", "score": 50}]
        )
    assert fields_of(exc) == {"status"}


def test_shortlist_then_reject(bj_official, bottleneck, enterprise_member) -> None:
    _challenge, (application,) = reviewing(bj_official, bottleneck, [enterprise_member])
    decided = svc.application_decide(application_id=application.pk, user=bj_official, decision="shortlist")
    assert decided.status == "shortlisted"
    with pytest.raises(ValidationError) as exc:
        svc.application_decide(application_id=application.pk, user=bj_official, decision="shortlist")
    assert fields_of(exc) == {"status"}
    assert svc.application_decide(application_id=application.pk, user=bj_official, decision="reject").status == (
        "rejected"
    )


def test_jiebang_funds_no_teams_and_has_no_gates(bj_official, bottleneck, enterprise_member) -> None:
    _challenge, (application,) = reviewing(bj_official, bottleneck, [enterprise_member])
    with pytest.raises(ValidationError) as exc:
        svc.application_decide(application_id=application.pk, user=bj_official, decision="fund")
    assert fields_of(exc) == {"decision"}


@pytest.fixture
def three_members(regions):
    return [
        f.member(f"m{i}", m.Role.ENTERPRISE_MEMBER, enterprise=f.EnterpriseFactory(region=regions["HE"]))
        for i in range(3)
    ]


def test_saima_funds_up_to_its_limit_and_eliminates_at_a_gate(bj_official, bottleneck, three_members) -> None:
    gates = [
        {"name": "初赛", "gate_on": TODAY + dt.timedelta(60)},
        {"name": "决赛", "gate_on": TODAY + dt.timedelta(90)},
    ]
    challenge, apps = reviewing(bj_official, bottleneck, three_members, mechanism="saima", phases=gates)
    for application in apps[:2]:
        assert svc.application_decide(application_id=application.pk, user=bj_official, decision="fund").status == (
            "funded"
        )
    with pytest.raises(ValidationError) as exc:
        svc.application_decide(application_id=apps[2].pk, user=bj_official, decision="fund")
    assert fields_of(exc) == {"decision"}
    with pytest.raises(ValidationError) as exc:
        svc.application_decide(application_id=apps[0].pk, user=bj_official, decision="eliminate")
    assert fields_of(exc) == {"phase"}
    out = svc.application_decide(application_id=apps[0].pk, user=bj_official, decision="eliminate", phase_position=1)
    assert (out.status, out.phase_reached.name) == ("eliminated", "初赛")
    passed = svc.application_decide(application_id=apps[1].pk, user=bj_official, decision="advance", phase_position=2)
    assert (passed.status, passed.phase_reached.name) == ("funded", "决赛")
    # the place freed by the elimination can be funded again
    assert svc.application_decide(application_id=apps[2].pk, user=bj_official, decision="fund").status == "funded"
    awarded = svc.challenge_award(challenge_id=challenge.pk, user=bj_official)
    assert awarded.status == "awarded"
    statuses = dict(pm.Application.objects.values_list("pk", "status"))
    assert statuses == {apps[0].pk: "eliminated", apps[1].pk: "won", apps[2].pk: "won"}


def test_saima_award_of_chosen_funded_teams(bj_official, bottleneck, three_members) -> None:
    challenge, apps = reviewing(bj_official, bottleneck, three_members, mechanism="saima")
    for application in apps[:2]:
        svc.application_decide(application_id=application.pk, user=bj_official, decision="fund")
    with pytest.raises(ValidationError) as exc:
        svc.challenge_award(challenge_id=challenge.pk, user=bj_official, winner_ids=[apps[2].pk])
    assert fields_of(exc) == {"winners"}
    svc.challenge_award(challenge_id=challenge.pk, user=bj_official, winner_ids=[apps[1].pk])
    statuses = dict(pm.Application.objects.values_list("pk", "status"))
    assert statuses == {apps[0].pk: "rejected", apps[1].pk: "won", apps[2].pk: "rejected"}


def test_saima_award_without_funded_teams_is_refused(bj_official, bottleneck, three_members) -> None:
    challenge, _apps = reviewing(bj_official, bottleneck, three_members, mechanism="saima")
    with pytest.raises(ValidationError) as exc:
        svc.challenge_award(challenge_id=challenge.pk, user=bj_official)
    assert fields_of(exc) == {"winners"}
    assert pm.Challenge.objects.get(pk=challenge.pk).status == "reviewing"


def test_jiebang_has_exactly_one_winner(bj_official, bottleneck, enterprise_member, other_member) -> None:
    challenge, (first, second) = reviewing(bj_official, bottleneck, [enterprise_member, other_member])
    for winners in (None, [], [first.pk, second.pk]):
        with pytest.raises(ValidationError) as exc:
            svc.challenge_award(challenge_id=challenge.pk, user=bj_official, winner_ids=winners)
        assert fields_of(exc) == {"winners"}
    svc.challenge_award(challenge_id=challenge.pk, user=bj_official, winner_ids=[second.pk])
    assert dict(pm.Application.objects.values_list("pk", "status")) == {first.pk: "rejected", second.pk: "won"}


def test_a_withdrawn_application_cannot_win(bj_official, bottleneck, enterprise_member, other_member) -> None:
    challenge = published(bj_official, bottleneck)
    application = submit(challenge_id=challenge.pk, user=enterprise_member, team_lead="王工", proposal="方案")
    svc.application_withdraw(application_id=application.pk, user=enterprise_member)
    svc.challenge_start_review(challenge_id=challenge.pk, user=bj_official)
    with pytest.raises(ValidationError) as exc:
        svc.challenge_award(challenge_id=challenge.pk, user=bj_official, winner_ids=[application.pk])
    assert fields_of(exc) == {"winners"}


def test_award_takes_the_bottleneck_with_a_history_record(bj_official, bottleneck, enterprise_member) -> None:
    challenge, (application,) = reviewing(bj_official, bottleneck, [enterprise_member])
    svc.challenge_award(challenge_id=challenge.pk, user=bj_official, winner_ids=[application.pk])
    bottleneck.refresh_from_db()
    assert (bottleneck.status, bottleneck.mechanism) == ("taken", "jiebang")
    record = bottleneck.history.order_by("-history_date").first()
    assert record.history_change_reason == f"揭榜 awarded: {challenge.code}"
    assert record.history_user == bj_official


def test_award_leaves_a_bottleneck_already_in_progress(bj_official, chain, enterprise_member) -> None:
    busy = f.BottleneckFactory(chain=chain, status=m.BottleneckStatus.IN_PROGRESS, mechanism="joint_project")
    challenge, (application,) = reviewing(bj_official, busy, [enterprise_member])
    svc.challenge_award(challenge_id=challenge.pk, user=bj_official, winner_ids=[application.pk])
    busy.refresh_from_db()
    assert (busy.status, busy.mechanism) == ("in_progress", "joint_project")


def test_close_after_award_and_call_off_rejects_open_applications(
    bj_official, bottleneck, enterprise_member, other_member
) -> None:
    challenge, (application,) = reviewing(bj_official, bottleneck, [enterprise_member])
    svc.challenge_award(challenge_id=challenge.pk, user=bj_official, winner_ids=[application.pk])
    assert svc.challenge_close(challenge_id=challenge.pk, user=bj_official).status == "closed"
    other = published(bj_official, bottleneck, code="JB-02")
    open_application = submit(challenge_id=other.pk, user=other_member, team_lead="赵工", proposal="方案")
    svc.challenge_close(challenge_id=other.pk, user=bj_official)
    open_application.refresh_from_db()
    assert open_application.status == "rejected"
    assert pm.Application.objects.get(pk=application.pk).status == "won"


def test_phase_save_adds_and_changes_gates_in_order(bj_official, bottleneck) -> None:
    challenge = create(bj_official, bottleneck, mechanism="saima")
    svc.phase_save(
        challenge_id=challenge.pk, user=bj_official, data=svc.PhaseInput(name="初赛", gate_on=TODAY + dt.timedelta(30))
    )
    svc.phase_save(
        challenge_id=challenge.pk, user=bj_official, data=svc.PhaseInput(name="决赛", gate_on=TODAY + dt.timedelta(60))
    )
    svc.phase_save(
        challenge_id=challenge.pk,
        user=bj_official,
        data=svc.PhaseInput(name="复赛", gate_on=TODAY + dt.timedelta(40), position=1),
    )
    assert list(challenge.phases.values_list("position", "name")) == [(1, "复赛"), (2, "决赛")]
    with pytest.raises(ValidationError) as exc:
        svc.phase_save(
            challenge_id=challenge.pk,
            user=bj_official,
            data=svc.PhaseInput(name="晚", gate_on=TODAY + dt.timedelta(10)),
        )
    assert fields_of(exc) == {"gate_on"}


def test_phase_gates_belong_to_races(bj_official, bottleneck) -> None:
    challenge = create(bj_official, bottleneck)
    with pytest.raises(ValidationError) as exc:
        svc.phase_save(challenge_id=challenge.pk, user=bj_official, data=svc.PhaseInput(name="初赛", gate_on=TODAY))
    assert fields_of(exc) == {"phases"}


def test_visibility_of_drafts_and_applications(
    bj_official, subscriber, bottleneck, enterprise_member, other_member
) -> None:
    draft = create(bj_official, bottleneck)
    challenge = published(bj_official, bottleneck, code="JB-02")
    own = submit(challenge_id=challenge.pk, user=enterprise_member, team_lead="王工", proposal="方案")
    submit(challenge_id=challenge.pk, user=other_member, team_lead="赵工", proposal="方案")
    assert set(pm.Challenge.objects.visible_to(subscriber)) == {challenge}
    assert set(pm.Challenge.objects.visible_to(bj_official)) == {draft, challenge}
    assert list(pm.Application.objects.visible_to(enterprise_member)) == [own]
    assert pm.Application.objects.visible_to(subscriber).count() == 0
    assert pm.Application.objects.visible_to(bj_official).count() == 2
