"""The challenges API: permission matrix of every write endpoint × persona, happy paths through the
lifecycle, 400s naming the field, and list query budgets."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from chainmap import models as m
from projects import models as pm
from tests import factories as f
from tests.core.test_api_permissions import MAP_CREATORS, MAP_EDITORS, PERSONAS, REVIEWERS, _statuses, if_match

TODAY = timezone.localdate()


@dataclass
class Challenges:
    world: Any
    draft: pm.Challenge
    race: pm.Challenge
    open: pm.Challenge
    reviewing: pm.Challenge
    own: pm.Application
    other: pm.Application


@pytest.fixture
def cw(world, member_enterprise, regions) -> Challenges:
    bottleneck = world.bottleneck
    draft = f.ChallengeFactory(bottleneck=bottleneck, code="JB-DRAFT", deadline=TODAY + dt.timedelta(20))
    race = f.ChallengeFactory(
        bottleneck=bottleneck, code="SM-DRAFT", mechanism=pm.ChallengeMechanism.SAIMA, max_funded_teams=2
    )
    open_ = f.ChallengeFactory(
        bottleneck=bottleneck,
        code="JB-OPEN",
        status=pm.ChallengeStatus.PUBLISHED,
        published_on=TODAY,
        deadline=TODAY + dt.timedelta(20),
    )
    reviewing = f.ChallengeFactory(
        bottleneck=bottleneck,
        code="JB-REVIEW",
        status=pm.ChallengeStatus.REVIEWING,
        published_on=TODAY - dt.timedelta(20),
        deadline=TODAY - dt.timedelta(1),
    )
    own = pm.Application.objects.create(
        challenge=reviewing, enterprise=member_enterprise, team_lead="王工", proposal="p"
    )
    other = pm.Application.objects.create(
        challenge=reviewing, enterprise=f.EnterpriseFactory(region=regions["HE"]), team_lead="赵工", proposal="p"
    )
    return Challenges(world=world, draft=draft, race=race, open=open_, reviewing=reviewing, own=own, other=other)


def row(name, method, url, body, expected, headers=None):
    return (name, method, url, body, headers, expected)


MEMBER_ONLY = {p: 403 for p in PERSONAS} | {"anonymous": 401}

ROWS = [
    row(
        "create challenge",
        "post",
        lambda c: "/api/challenges/",
        lambda c: {"bottleneck": "KD-100", "code": "JB-NEW", "mechanism": "jiebang", "title": "新榜"},
        MAP_CREATORS,
    ),
    row(
        "update challenge",
        "patch",
        lambda c: "/api/challenges/JB-OPEN/",
        lambda c: {"title": "新标题"},
        MAP_EDITORS,
        if_match("open"),
    ),
    row(
        "replace draft challenge",
        "put",
        lambda c: "/api/challenges/JB-DRAFT/",
        lambda c: {"title": "新标题", "mechanism": "jiebang", "budget": "10.00"},
        REVIEWERS,
        if_match("draft"),
    ),
    row("publish draft", "post", lambda c: "/api/challenges/JB-DRAFT/publish/", None, REVIEWERS),
    row("start review", "post", lambda c: "/api/challenges/JB-OPEN/start-review/", None, MAP_EDITORS),
    row(
        "award",
        "post",
        lambda c: "/api/challenges/JB-REVIEW/award/",
        lambda c: {"winners": [c.other.pk]},
        MAP_EDITORS,
    ),
    row("close", "post", lambda c: "/api/challenges/JB-OPEN/close/", None, MAP_EDITORS),
    row(
        "add a gate",
        "post",
        lambda c: "/api/challenges/SM-DRAFT/phases/",
        lambda c: {"name": "初赛", "gate_on": "2099-01-01"},
        REVIEWERS,
    ),
    row("ranking", "get", lambda c: "/api/challenges/JB-REVIEW/ranking/", None, MAP_EDITORS),
    row(
        "apply",
        "post",
        lambda c: "/api/applications/",
        lambda c: {"challenge": "JB-OPEN", "team_lead": "王工", "proposal": "方案"},
        MEMBER_ONLY | {"enterprise_member": 201},
    ),
    row(
        "withdraw own application",
        "post",
        lambda c: f"/api/applications/{c.own.pk}/withdraw/",
        None,
        MEMBER_ONLY | {"enterprise_member": 200, "subscriber": 404},
    ),
    row(
        "score another enterprise's application",
        "post",
        lambda c: f"/api/applications/{c.other.pk}/score/",
        lambda c: {"scores": [{"criterion": "technology", "score": "88.5"}]},
        REVIEWERS,
    ),
    row(
        "score own application",
        "post",
        lambda c: f"/api/applications/{c.own.pk}/score/",
        lambda c: {"scores": [{"criterion": "technology", "score": 100}]},
        MAP_EDITORS | {"subscriber": 404},
    ),
    row(
        "decide",
        "post",
        lambda c: f"/api/applications/{c.other.pk}/decide/",
        lambda c: {"decision": "shortlist"},
        REVIEWERS,
    ),
]


@pytest.mark.parametrize("matrix_row", [pytest.param(r, id=r[0]) for r in ROWS])
def test_write_matrix(matrix_row, cw, request) -> None:
    assert _statuses(matrix_row, cw, request) == matrix_row[5]


def test_draft_challenges_are_invisible_to_members(cw, api_for, enterprise_member, bj_official) -> None:
    member = api_for(enterprise_member)
    assert member.get("/api/challenges/JB-DRAFT/").status_code == 404
    codes = {c["code"] for c in member.get("/api/challenges/").json()["results"]}
    assert "JB-DRAFT" not in codes and "JB-OPEN" in codes
    assert "JB-DRAFT" in {c["code"] for c in api_for(bj_official).get("/api/challenges/").json()["results"]}
    ids = {a["id"] for a in member.get("/api/applications/").json()["results"]}
    assert cw.own.pk in ids and cw.other.pk not in ids


def test_the_whole_saima_lifecycle(cw, api_for, bj_official, enterprise_member, member_enterprise, regions) -> None:
    leader = api_for(bj_official)
    response = leader.post(
        "/api/challenges/",
        {
            "bottleneck": "KD-100",
            "code": "sm-new",
            "mechanism": "saima",
            "title": "赛马",
            "budget": "500.00",
            "max_funded_teams": 2,
            "deadline": (TODAY + dt.timedelta(10)).isoformat(),
            "phases": [{"name": "初赛", "gate_on": (TODAY + dt.timedelta(30)).isoformat()}],
        },
    )
    assert response.status_code == 201, response.json()
    assert response.json()["code"] == "SM-NEW" and response.json()["phases"][0]["position"] == 1
    assert leader.post("/api/challenges/SM-NEW/publish/").json()["status"] == "published"
    applied = api_for(enterprise_member).post(
        "/api/applications/", {"challenge": "SM-NEW", "team_lead": "王工", "proposal": "方案"}
    )
    assert applied.status_code == 201
    application_id = applied.json()["id"]
    assert leader.post("/api/challenges/SM-NEW/start-review/").json()["status"] == "reviewing"
    scored = leader.post(
        f"/api/applications/{application_id}/score/",
        {"scores": [{"criterion": "technology", "score": 90}, {"criterion": "team", "score": 80, "comment": "强"}]},
    )
    assert scored.status_code == 200 and len(scored.json()) == 2
    ranking = leader.get("/api/challenges/SM-NEW/ranking/").json()
    assert ranking[0]["application"] == application_id and ranking[0]["total"] == "85.00"
    funded = leader.post(f"/api/applications/{application_id}/decide/", {"decision": "fund"})
    assert funded.json()["status"] == "funded"
    passed = leader.post(f"/api/applications/{application_id}/decide/", {"decision": "advance", "phase": 1})
    assert passed.json()["phase_reached"] == 1
    assert leader.post("/api/challenges/SM-NEW/award/", {}).json()["status"] == "awarded"
    assert pm.Application.objects.get(pk=application_id).status == "won"
    cw.world.bottleneck.refresh_from_db()
    assert (cw.world.bottleneck.status, cw.world.bottleneck.mechanism) == ("taken", "saima")
    assert leader.post("/api/challenges/SM-NEW/close/").json()["status"] == "closed"


@pytest.mark.parametrize(
    ("method", "url", "body", "field"),
    [
        (
            "post",
            "/api/challenges/",
            {"bottleneck": "KD-999", "code": "X", "mechanism": "jiebang", "title": "t"},
            "bottleneck",
        ),
        (
            "post",
            "/api/challenges/",
            {"bottleneck": "KD-100", "code": "X", "mechanism": "jiebang", "title": "t", "max_funded_teams": 2},
            "max_funded_teams",
        ),
        (
            "post",
            "/api/challenges/",
            {"bottleneck": "KD-100", "code": "JB-OPEN", "mechanism": "jiebang", "title": "t"},
            "code",
        ),
        (
            "post",
            "/api/challenges/",
            {"bottleneck": "KD-100", "code": "X", "mechanism": "nope", "title": "t"},
            "mechanism",
        ),
        (
            "post",
            "/api/challenges/",
            {"bottleneck": "KD-100", "code": "X", "mechanism": "jiebang", "title": "t", "budget": "-1"},
            "budget",
        ),
        ("patch", "/api/challenges/JB-REVIEW/", {"title": "晚了"}, "status"),
        ("patch", "/api/challenges/JB-OPEN/", {"deadline": "2000-01-01"}, "deadline"),
        ("post", "/api/challenges/JB-OPEN/publish/", None, "status"),
        ("post", "/api/challenges/JB-REVIEW/award/", {"winners": []}, "winners"),
        ("post", "/api/challenges/JB-DRAFT/phases/", {"name": "初赛", "gate_on": "2099-01-01"}, "phases"),
        (
            "post",
            "/api/applications/{other}/score/",
            {"scores": [{"criterion": "team", "score": 101}]},
            "scores[0].score",
        ),
        (
            "post",
            "/api/applications/{other}/score/",
            {"scores": [{"criterion": "beauty", "score": 1}]},
            "scores[0].criterion",
        ),
        ("post", "/api/applications/{other}/decide/", {"decision": "fund"}, "decision"),
    ],
)
def test_bad_input_names_the_field(cw, api_for, bj_official, method, url, body, field) -> None:
    client = api_for(bj_official)
    kwargs = {"data": body, "format": "json"} if body is not None else {}
    if method == "patch":
        kwargs["HTTP_IF_MATCH"] = client.get(url)["ETag"]
    response = getattr(client, method)(url.format(other=cw.other.pk), **kwargs)
    assert response.status_code == 400, response.content
    assert field in response.json()["error"]["fields"]


def test_applying_twice_names_the_challenge(cw, api_for, enterprise_member) -> None:
    client = api_for(enterprise_member)
    body = {"challenge": "JB-OPEN", "team_lead": "王工", "proposal": "方案"}
    assert client.post("/api/applications/", body).status_code == 201
    again = client.post("/api/applications/", body)
    assert again.status_code == 400
    assert set(again.json()["error"]["fields"]) == {"challenge"}


def test_applying_to_an_invisible_draft_names_the_challenge(cw, api_for, enterprise_member) -> None:
    response = api_for(enterprise_member).post(
        "/api/applications/", {"challenge": "JB-DRAFT", "team_lead": "王工", "proposal": "方案"}
    )
    assert response.status_code == 400
    assert set(response.json()["error"]["fields"]) == {"challenge"}


def test_applying_with_a_consortium(cw, api_for, enterprise_member) -> None:
    partner = f.EnterpriseFactory()
    response = api_for(enterprise_member).post(
        "/api/applications/",
        {"challenge": "JB-OPEN", "team_lead": "王工", "proposal": "方案", "consortium": [partner.pk]},
    )
    assert response.status_code == 201
    assert response.json()["consortium"] == [partner.pk]


def _challenge_rows(n: int, bottleneck: m.Bottleneck) -> None:
    for _ in range(n):
        challenge = f.ChallengeFactory(bottleneck=bottleneck, mechanism="saima", max_funded_teams=2)
        phase = pm.ChallengePhase.objects.create(challenge=challenge, position=1, name="初赛", gate_on=TODAY)
        application = pm.Application.objects.create(
            challenge=challenge, enterprise=f.EnterpriseFactory(), team_lead="李", proposal="p", phase_reached=phase
        )
        application.consortium.add(f.EnterpriseFactory())


@pytest.mark.parametrize("url", ["/api/challenges/", "/api/applications/"])
def test_list_query_count_does_not_grow(cw, api_for, joint_office, url) -> None:
    client = api_for(joint_office)
    _challenge_rows(2, cw.world.bottleneck)
    with CaptureQueriesContext(connection) as few:
        first = client.get(url, {"page_size": 100})
    _challenge_rows(18, cw.world.bottleneck)
    with CaptureQueriesContext(connection) as many:
        second = client.get(url, {"page_size": 100})
    assert second.json()["count"] > first.json()["count"]
    assert len(many.captured_queries) == len(few.captured_queries)
