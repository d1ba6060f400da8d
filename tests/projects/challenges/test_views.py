"""Challenge pages: the permission matrix (personas × pages: 200 / 403 / 404, login for anonymous), buttons
only for who may use them, Chinese text, actions through the services, and the list's query budget."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from chainmap import models as m
from projects import models as pm
from tests import factories as f

TODAY = timezone.localdate()
PERSONAS = ("joint_office", "bj_official", "tj_official", "he_official", "enterprise_member", "subscriber", "anonymous")


@pytest.fixture
def chain(regions):
    chain = f.ChainFactory(slug="hydrogen", name="氢能")
    f.TermFactory(
        chain=chain, region=regions["BJ"], starts_on=TODAY - dt.timedelta(10), ends_on=TODAY + dt.timedelta(90)
    )
    return chain


@pytest.fixture
def site(chain, joint_office, bj_official, tj_official, he_official, enterprise_member, subscriber, member_enterprise):
    bottleneck = f.BottleneckFactory(chain=chain, code="KD-100", status=m.BottleneckStatus.PUBLISHED)
    draft = f.ChallengeFactory(
        bottleneck=bottleneck, code="JB-DRAFT", title="草稿任务", deadline=TODAY + dt.timedelta(30)
    )
    published = f.ChallengeFactory(
        bottleneck=bottleneck,
        code="JB-OPEN",
        title="质子交换膜揭榜",
        status=pm.ChallengeStatus.PUBLISHED,
        published_on=TODAY,
        deadline=TODAY + dt.timedelta(30),
    )
    review = f.ChallengeFactory(
        bottleneck=bottleneck,
        code="SM-REVIEW",
        title="电解槽赛马",
        mechanism=pm.ChallengeMechanism.SAIMA,
        max_funded_teams=2,
        status=pm.ChallengeStatus.REVIEWING,
        published_on=TODAY - dt.timedelta(30),
        deadline=TODAY - dt.timedelta(1),
    )
    pm.ChallengePhase.objects.create(challenge=review, position=1, name="初赛", gate_on=TODAY + dt.timedelta(30))
    own = pm.Application.objects.create(
        challenge=review, enterprise=member_enterprise, team_lead="王工", proposal="我方方案"
    )
    other = pm.Application.objects.create(
        challenge=review, enterprise=f.EnterpriseFactory(name="河北其他企业"), team_lead="赵工", proposal="他方方案"
    )
    return {"draft": draft, "published": published, "review": review, "own": own, "other": other}


def client_as(persona: str, request: pytest.FixtureRequest, client_for: Any):
    return client_for(None if persona == "anonymous" else request.getfixturevalue(persona))


def status_of(response) -> int:
    if response.status_code == 302 and "/login" in response["Location"]:
        return 401
    return response.status_code


OFFICIALS = {"joint_office": 200, "bj_official": 200, "tj_official": 200, "he_official": 200}
MANAGERS = {"joint_office": 200, "bj_official": 200, "tj_official": 403, "he_official": 403}

PAGES = [
    ("list", lambda s: "/projects/challenges/", {p: 200 for p in PERSONAS} | {"anonymous": 401}),
    ("published detail", lambda s: "/projects/challenges/JB-OPEN/", {p: 200 for p in PERSONAS} | {"anonymous": 401}),
    (
        "draft detail",
        lambda s: "/projects/challenges/JB-DRAFT/",
        OFFICIALS | {"enterprise_member": 404, "subscriber": 404, "anonymous": 401},
    ),
    ("unknown detail", lambda s: "/projects/challenges/NOPE/", {p: 404 for p in PERSONAS} | {"anonymous": 401}),
    (
        "create",
        lambda s: "/projects/challenges/new/",
        MANAGERS | {"enterprise_member": 403, "subscriber": 403, "anonymous": 401},
    ),
    (
        "edit published",
        lambda s: "/projects/challenges/JB-OPEN/edit/",
        MANAGERS | {"enterprise_member": 403, "subscriber": 403, "anonymous": 401},
    ),
    (
        "edit draft",
        lambda s: "/projects/challenges/JB-DRAFT/edit/",
        MANAGERS | {"enterprise_member": 404, "subscriber": 404, "anonymous": 401},
    ),
    (
        "edit under review",
        lambda s: "/projects/challenges/SM-REVIEW/edit/",
        # the managers: 400 naming the status, as the API answers (not theirs to see it change: 403)
        {p: 403 for p in PERSONAS} | {"joint_office": 400, "bj_official": 400, "anonymous": 401},
    ),
    (
        "apply",
        lambda s: "/projects/challenges/JB-OPEN/apply/",
        {p: 403 for p in PERSONAS} | {"enterprise_member": 200, "anonymous": 401},
    ),
    (
        "apply to a closed call",
        lambda s: "/projects/challenges/SM-REVIEW/apply/",
        {p: 403 for p in PERSONAS} | {"anonymous": 401},
    ),
    (
        "score own application",
        lambda s: f"/projects/challenges/applications/{s['own'].pk}/score/",
        MANAGERS | {"enterprise_member": 403, "subscriber": 404, "anonymous": 401},
    ),
    (
        "score another application",
        lambda s: f"/projects/challenges/applications/{s['other'].pk}/score/",
        MANAGERS | {"enterprise_member": 404, "subscriber": 404, "anonymous": 401},
    ),
]


@pytest.mark.parametrize("row", [pytest.param(row, id=row[0]) for row in PAGES])
def test_page_matrix(row, site, request, client_for) -> None:
    _name, url, expected = row
    statuses = {persona: status_of(client_as(persona, request, client_for).get(url(site))) for persona in PERSONAS}
    assert statuses == expected


ACTIONS = [
    ("publish", lambda s: "/projects/challenges/JB-DRAFT/publish/", {}),
    ("start review", lambda s: "/projects/challenges/JB-OPEN/start-review/", {}),
    ("close", lambda s: "/projects/challenges/JB-OPEN/close/", {}),
    ("award", lambda s: "/projects/challenges/SM-REVIEW/award/", {}),
    ("add gate", lambda s: "/projects/challenges/SM-REVIEW/phases/", {"name": "决赛", "gate_on": "2099-01-01"}),
    ("decide", lambda s: f"/projects/challenges/applications/{s['other'].pk}/decide/", {"decision": "shortlist"}),
]


# A transition that happens once: repeating it is refused (400), as the API answers.
ONCE = {"publish", "start review", "close", "award"}


@pytest.mark.parametrize("manager", ["joint_office", "bj_official"])
@pytest.mark.parametrize("row", [pytest.param(row, id=row[0]) for row in ACTIONS])
def test_action_matrix(row, manager, site, request, client_for) -> None:
    """Either manager is redirected back to the page (302); other officials 403; the rest 403 or 404.
    A manager repeating a one-time transition gets 400 with the reason, the API's answer for it."""
    name, url, data = row
    if name == "award":  # a race is awarded to its funded teams: fund one
        pm.Application.objects.filter(pk=site["other"].pk).update(status=pm.ApplicationStatus.FUNDED)
    others = [p for p in PERSONAS if p not in ("joint_office", "bj_official")]
    statuses = {p: status_of(client_as(p, request, client_for).post(url(site), data)) for p in others}
    assert statuses["tj_official"] == statuses["he_official"] == 403
    assert statuses["anonymous"] == 401
    assert statuses["enterprise_member"] in (403, 404)
    assert statuses["subscriber"] in (403, 404)
    client = client_as(manager, request, client_for)
    assert status_of(client.post(url(site), data)) == 302
    if name in ONCE:
        again = client.post(url(site), data)
        assert again.status_code == 400
        assert 'href="/projects/challenges/' in again.content.decode()  # the way back to the challenge


def test_actions_need_post(site, client_for, bj_official) -> None:
    assert client_for(bj_official).get("/projects/challenges/JB-DRAFT/publish/").status_code == 405


def test_list_shows_chinese_text_and_hides_drafts_from_members(site, client_for, enterprise_member, bj_official):
    member_page = client_for(enterprise_member).get("/projects/challenges/").content.decode()
    assert "质子交换膜揭榜" in member_page
    assert "草稿任务" not in member_page
    assert "揭榜挂帅" in member_page
    official_page = client_for(bj_official).get("/projects/challenges/").content.decode()
    assert "草稿任务" in official_page
    assert "新建" in official_page or "/projects/challenges/new/" in official_page


def test_list_filters(site, client_for, bj_official) -> None:
    client = client_for(bj_official)
    page = client.get("/projects/challenges/", {"mechanism": "saima"}).content.decode()
    assert "电解槽赛马" in page and "质子交换膜揭榜" not in page
    page = client.get("/projects/challenges/", {"status": "draft"}).content.decode()
    assert "草稿任务" in page and "电解槽赛马" not in page
    page = client.get("/projects/challenges/", {"chain": "nope"}).content.decode()
    assert "电解槽赛马" not in page
    fragment = client.get("/projects/challenges/", {"status": "published"}, HTTP_HX_REQUEST="true")
    assert "<html" not in fragment.content.decode() and "质子交换膜揭榜" in fragment.content.decode()


def test_detail_buttons_follow_the_rules(site, client_for, bj_official, tj_official, enterprise_member) -> None:
    leader = client_for(bj_official).get("/projects/challenges/JB-DRAFT/").content.decode()
    assert "/projects/challenges/JB-DRAFT/publish/" in leader
    assert "/projects/challenges/JB-DRAFT/edit/" in leader
    other_region = client_for(tj_official).get("/projects/challenges/JB-DRAFT/").content.decode()
    assert "/publish/" not in other_region and "/edit/" not in other_region
    member = client_for(enterprise_member).get("/projects/challenges/JB-OPEN/").content.decode()
    assert "/projects/challenges/JB-OPEN/apply/" in member
    assert "/publish/" not in member and "/start-review/" not in member and "/close/" not in member
    leader_open = client_for(bj_official).get("/projects/challenges/JB-OPEN/").content.decode()
    assert "/apply/" not in leader_open and "/start-review/" in leader_open


def test_review_page_shows_scores_to_officials_and_only_own_application_to_member(
    site, client_for, bj_official, enterprise_member
) -> None:
    pm.ReviewScore.objects.create(application=site["other"], reviewer=bj_official, criterion="technology", score=88)
    official = client_for(bj_official).get("/projects/challenges/SM-REVIEW/").content.decode()
    assert "河北其他企业" in official and "88.00" in official
    assert f"/projects/challenges/applications/{site['other'].pk}/score/" in official
    assert f"/projects/challenges/applications/{site['other'].pk}/decide/" in official
    assert "/projects/challenges/SM-REVIEW/award/" not in official  # no funded team yet
    member = client_for(enterprise_member).get("/projects/challenges/SM-REVIEW/").content.decode()
    assert "河北其他企业" not in member and "88.00" not in member
    assert "/score/" not in member and "/decide/" not in member
    assert f"/projects/challenges/applications/{site['own'].pk}/withdraw/" in member


def test_create_and_publish_through_the_pages(site, client_for, bj_official) -> None:
    client = client_for(bj_official)
    response = client.post(
        "/projects/challenges/new/",
        {
            "bottleneck": "KD-100",
            "code": "jb-new",
            "mechanism": "jiebang",
            "title": "新揭榜",
            "budget": "100",
            "deadline": (TODAY + dt.timedelta(20)).isoformat(),
        },
    )
    assert response.status_code == 302
    assert response["Location"] == "/projects/challenges/JB-NEW/"
    assert client.post("/projects/challenges/JB-NEW/publish/").status_code == 302
    challenge = pm.Challenge.objects.get(code="JB-NEW")
    assert (challenge.status, challenge.published_on, challenge.published_by) == ("published", TODAY, bj_official)


def test_create_form_shows_the_service_error_on_the_field(site, client_for, bj_official) -> None:
    response = client_for(bj_official).post(
        "/projects/challenges/new/",
        {"bottleneck": "KD-100", "code": "JB-X", "mechanism": "jiebang", "title": "t", "max_funded_teams": "3"},
    )
    assert response.status_code == 400
    assert "max_funded_teams" in response.context["form"].errors
    assert not pm.Challenge.objects.filter(code="JB-X").exists()


def test_edit_saves_changes(site, client_for, bj_official) -> None:
    response = client_for(bj_official).post(
        "/projects/challenges/JB-OPEN/edit/",
        {
            "mechanism": "jiebang",
            "title": "改过的标题",
            "budget": "5",
            "deadline": (TODAY + dt.timedelta(40)).isoformat(),
        },
    )
    assert response.status_code == 302
    site["published"].refresh_from_db()
    assert site["published"].title == "改过的标题"


def test_apply_and_withdraw_through_the_pages(site, client_for, enterprise_member, member_enterprise) -> None:
    partner = f.EnterpriseFactory(name="北京伙伴")
    client = client_for(enterprise_member)
    page = client.get("/projects/challenges/JB-OPEN/apply/").content.decode()
    assert "技术方案" in page
    response = client.post(
        "/projects/challenges/JB-OPEN/apply/",
        {"team_lead": "王工", "proposal": "方案", "consortium": partner.credit_code.lower()},
    )
    assert response.status_code == 302
    application = pm.Application.objects.get(challenge=site["published"], enterprise=member_enterprise)
    assert list(application.consortium.all()) == [partner]
    again = client.post("/projects/challenges/JB-OPEN/apply/", {"team_lead": "王工", "proposal": "方案"})
    assert again.status_code == 400
    assert "已" in again.content.decode()  # already applied, in Chinese
    assert client.post(f"/projects/challenges/applications/{application.pk}/withdraw/").status_code == 302
    application.refresh_from_db()
    assert application.status == "withdrawn"


def test_apply_with_an_unknown_consortium_code(site, client_for, enterprise_member) -> None:
    response = client_for(enterprise_member).post(
        "/projects/challenges/JB-OPEN/apply/", {"team_lead": "王工", "proposal": "方案", "consortium": "XYZ"}
    )
    assert response.status_code == 400
    assert "consortium" in response.context["form"].errors


def test_score_decide_and_award_through_the_pages(site, client_for, bj_official) -> None:
    client = client_for(bj_official)
    other = site["other"]
    response = client.post(
        f"/projects/challenges/applications/{other.pk}/score/", {"score_technology": "91", "comment_technology": "好"}
    )
    assert response.status_code == 302
    assert pm.ReviewScore.objects.get(application=other, reviewer=bj_official).score == 91
    client.post(f"/projects/challenges/applications/{other.pk}/decide/", {"decision": "fund"})
    other.refresh_from_db()
    assert other.status == "funded"
    page = client.get("/projects/challenges/SM-REVIEW/").content.decode()
    assert "/projects/challenges/SM-REVIEW/award/" in page
    client.post("/projects/challenges/SM-REVIEW/award/", {})
    other.refresh_from_db()
    assert other.status == "won"
    assert pm.Challenge.objects.get(code="SM-REVIEW").status == "awarded"


def test_an_out_of_range_score_is_refused(site, client_for, bj_official) -> None:
    response = client_for(bj_official).post(
        f"/projects/challenges/applications/{site['other'].pk}/score/", {"score_team": "101"}
    )
    assert response.status_code == 400
    assert not pm.ReviewScore.objects.exists()


def test_a_refused_transition_answers_400_with_its_reason(site, client_for, bj_official) -> None:
    response = client_for(bj_official).post("/projects/challenges/SM-REVIEW/publish/")
    assert response.status_code == 400
    page = response.content.decode()
    assert "/projects/challenges/SM-REVIEW/" in page  # back to the challenge
    assert response.context["message"]  # the service's reason, shown as it is


def _rows(n: int, bottleneck: m.Bottleneck, enterprises: list[m.Enterprise]) -> None:
    for _ in range(n):
        challenge = f.ChallengeFactory(
            bottleneck=bottleneck, status=pm.ChallengeStatus.PUBLISHED, published_on=TODAY, deadline=TODAY
        )
        for enterprise in enterprises:
            pm.Application.objects.create(challenge=challenge, enterprise=enterprise, team_lead="李", proposal="p")


@pytest.mark.parametrize("persona", ["bj_official", "enterprise_member"])
def test_list_query_count_does_not_grow_with_rows(site, client_for, request, persona, member_enterprise) -> None:
    client = client_for(request.getfixturevalue(persona))
    bottleneck = site["published"].bottleneck
    enterprises = [member_enterprise, f.EnterpriseFactory()]
    _rows(2, bottleneck, enterprises)
    with CaptureQueriesContext(connection) as few:
        first = client.get("/projects/challenges/")
    _rows(18, f.BottleneckFactory(chain=bottleneck.chain, status=m.BottleneckStatus.PUBLISHED), enterprises)
    with CaptureQueriesContext(connection) as many:
        second = client.get("/projects/challenges/")
    assert first.status_code == second.status_code == 200
    assert len(second.context["page_obj"].object_list) > len(first.context["page_obj"].object_list)
    assert len(many.captured_queries) == len(few.captured_queries)


def test_detail_query_count_does_not_grow_with_applications(site, client_for, bj_official) -> None:
    client = client_for(bj_official)
    review = site["review"]
    with CaptureQueriesContext(connection) as few:
        assert client.get("/projects/challenges/SM-REVIEW/").status_code == 200
    for _ in range(10):
        application = pm.Application.objects.create(
            challenge=review, enterprise=f.EnterpriseFactory(), team_lead="李", proposal="p"
        )
        application.consortium.add(f.EnterpriseFactory())
        pm.ReviewScore.objects.create(application=application, reviewer=bj_official, criterion="team", score=50)
    with CaptureQueriesContext(connection) as many:
        assert client.get("/projects/challenges/SM-REVIEW/").status_code == 200
    assert len(many.captured_queries) == len(few.captured_queries)


def test_a_malformed_consortium_code_says_what_is_wrong_and_a_well_formed_stranger_is_unknown(
    site, client_for, enterprise_member
) -> None:
    client = client_for(enterprise_member)
    stranger = f.EnterpriseFactory.build().credit_code  # well formed, never saved
    data = {"team_lead": "王工", "proposal": "方案"}
    short = client.post("/projects/challenges/JB-OPEN/apply/", {**data, "consortium": "91110108ABC"})
    assert short.status_code == 400
    assert "11" in " ".join(short.context["form"].errors["consortium"])  # the length it has
    unknown = client.post("/projects/challenges/JB-OPEN/apply/", {**data, "consortium": stranger})
    assert unknown.status_code == 400
    assert stranger in " ".join(unknown.context["form"].errors["consortium"])
    assert "没有" in " ".join(unknown.context["form"].errors["consortium"])


# --- one input per write, one check path --------------------------------------------------------


def test_the_challenge_form_and_the_api_serializer_produce_the_same_input(site, bj_official) -> None:
    from projects.challenges.api.serializers import ApplicationCreateSerializer, ChallengeCreateSerializer
    from projects.challenges.forms import ApplicationForm, ChallengeForm

    bottleneck = site["draft"].bottleneck
    deadline = (TODAY + dt.timedelta(40)).isoformat()
    values = {"mechanism": "saima", "title": "赛马", "description": "", "max_funded_teams": 2, "deadline": deadline}
    form = ChallengeForm(
        values | {"bottleneck": bottleneck.code, "code": "SM-NEW", "budget": ""},
        bottlenecks=m.Bottleneck.objects.all(),
    )
    serializer = ChallengeCreateSerializer(data=values | {"bottleneck": bottleneck.code, "code": "SM-NEW", "budget": 0})
    assert form.is_valid(), form.errors
    assert serializer.is_valid(), serializer.errors
    assert form.to_input() == serializer.to_input(bottleneck=bottleneck)
    assert form.to_input().given()["bottleneck_id"] == bottleneck.pk
    assert form.to_input().budget == 0  # an empty budget is 0, as the API's default

    edit = ChallengeForm(
        {"mechanism": "jiebang", "title": "改过的标题", "budget": "5"},
        initial={"mechanism": "jiebang", "title": "旧标题", "budget": 5, "description": ""},
        editing=True,
    )
    assert edit.is_valid(), edit.errors
    assert edit.to_input().given() == {"title": "改过的标题"}  # only what changed

    partner = f.EnterpriseFactory()
    application = ApplicationForm({"team_lead": "王工", "proposal": "方案", "consortium": partner.credit_code})
    api = ApplicationCreateSerializer(
        data={"challenge": "JB-OPEN", "team_lead": "王工", "proposal": "方案", "consortium": [partner.pk]}
    )
    assert application.is_valid(), application.errors
    assert api.is_valid(), api.errors
    assert application.to_input() == api.to_input()


def _api(user):
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_login(user)
    return client


def test_page_and_api_refuse_editing_a_challenge_under_review_alike(site, client_for, bj_official, tj_official):
    """Wrong state: 400 naming the status on both (the page answered 403 before, the API 400); not the
    user's to run: 403 on both."""
    review = site["review"]
    etag = f'"{review.pk}-{review.version}"'
    page = client_for(bj_official).post(f"/projects/challenges/{review.code}/edit/", {"title": "x"})
    api = _api(bj_official).patch(f"/api/challenges/{review.code}/", {"title": "x"}, format="json", HTTP_IF_MATCH=etag)
    assert (page.status_code, api.status_code) == (400, 400)
    assert "status" in api.json()["error"]["fields"]
    page = client_for(tj_official).post(f"/projects/challenges/{review.code}/edit/", {"title": "x"})
    api = _api(tj_official).patch(f"/api/challenges/{review.code}/", {"title": "x"}, format="json", HTTP_IF_MATCH=etag)
    assert (page.status_code, api.status_code) == (403, 403)


def test_page_and_api_refuse_scoring_outside_the_review_alike(site, client_for, bj_official) -> None:
    application = site["other"]
    pm.Challenge.objects.filter(pk=application.challenge_id).update(status=pm.ChallengeStatus.AWARDED)
    page = client_for(bj_official).post(
        f"/projects/challenges/applications/{application.pk}/score/", {"score_team": "80"}
    )
    api = _api(bj_official).post(
        f"/api/applications/{application.pk}/score/", {"scores": [{"criterion": "team", "score": "80"}]}, format="json"
    )
    assert (page.status_code, api.status_code) == (400, 400)
    assert not pm.ReviewScore.objects.exists()
