"""API equivalents of page actions: leadership calendar edits, the matching calendars, report build and
deliveries, users, subscriptions, enterprise master data. One permission-matrix row per endpoint, then
the behaviour of each."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from chainmap import models as m
from tests import factories as f
from tests.core.test_api_permissions import (
    ALL_ROLES,
    OFFICIALS_ONLY,
    PERSONAS,
    ROUND_RUNNERS,
    Row,
    _statuses,
    if_match,
    tag,
)

TODAY = timezone.localdate()
JOINT_OFFICE_ONLY = {p: 403 for p in PERSONAS} | {"joint_office": 200, "anonymous": 401}
JOINT_OFFICE_SEES = {p: 404 for p in PERSONAS} | {"joint_office": 200, "anonymous": 401}
OWN_SUBSCRIPTION = {p: 404 for p in PERSONAS} | {"joint_office": 200, "subscriber": 200, "anonymous": 401}
ENTERPRISE_EDITORS = {
    "joint_office": 200,
    "bj_official": 200,
    "tj_official": 403,
    "he_official": 403,
    "enterprise_member": 404,
    "subscriber": 404,
    "anonymous": 401,
    "token": 200,
}
NEW_CODE = f.make_credit_code(424242)
DRAFT_READERS = ALL_ROLES | {"bj_official": 404, "he_official": 404, "subscriber": 404, "token": 404}
DRAFT_EDITORS = {p: (403 if s == 200 else s) for p, s in DRAFT_READERS.items()} | {"enterprise_member": 200}
# Adding to an invisible version: its id is unknown to the caller (400 naming ``profile``), as for placements.
# Adding to a profile is an enterprise member's: anyone else gets 403 before the body is read.
DRAFT_ADDERS = {p: {200: 201, 404: 403}.get(s, s) for p, s in DRAFT_EDITORS.items()}


@pytest.fixture
def actions_world(world, he_official) -> Any:
    """The API world plus a failed delivery of the report, a calendar entry and a target user."""
    world.delivery = m.Delivery.objects.create(
        report=world.report, email="sub@example.cn", status=m.Delivery.Status.FAILED, attempts=5
    )
    world.entry = m.CalendarEntry.objects.create(
        kind=m.RoundKind.CHAIN_MONTH, period=dt.date(2030, 5, 1), chain=world.chain
    )
    world.target = he_official
    return world


def _created(statuses: dict[str, int], code: int = 201) -> dict[str, int]:
    return {p: (code if s == 200 else s) for p, s in statuses.items()}


ACTIONS: list[Row] = [
    (
        "patch leadership term",
        "patch",
        lambda w: f"/api/leadership-terms/{w.term.pk}/",
        lambda w: {"ends_on": (TODAY + dt.timedelta(days=60)).isoformat(), "reason": "调整任期"},
        if_match("term"),
        JOINT_OFFICE_ONLY,
    ),
    (
        "put leadership term",
        "put",
        lambda w: f"/api/leadership-terms/{w.term.pk}/",
        lambda w: {
            "region": "BJ",
            "starts_on": w.term.starts_on.isoformat(),
            "ends_on": (TODAY + dt.timedelta(days=80)).isoformat(),
            "reason": "调整任期",
        },
        if_match("term"),
        JOINT_OFFICE_ONLY,
    ),
    (
        "regenerate terms",
        "post",
        lambda w: "/api/leadership-terms/regenerate/",
        lambda w: {
            "chain": "hydrogen",
            "starts_on": (TODAY + dt.timedelta(days=30)).isoformat(),
            "order": ["TJ", "HE", "BJ"],
            "term_months": 3,
            "reason": "新规则",
        },
        None,
        JOINT_OFFICE_ONLY,
    ),
    (
        "calendar entries list",
        "get",
        lambda w: "/api/calendar-entries/?kind=chain_month&year=2030",
        None,
        None,
        ALL_ROLES,
    ),
    ("calendar entry detail", "get", lambda w: f"/api/calendar-entries/{w.entry.pk}/", None, None, ALL_ROLES),
    (
        "set calendar period",
        "post",
        lambda w: "/api/calendar-entries/",
        lambda w: {"kind": "chain_month", "period": "2030-06-15", "subject": "hydrogen"},
        None,
        _created(JOINT_OFFICE_ONLY),
    ),
    (
        "change calendar entry",
        "patch",
        lambda w: f"/api/calendar-entries/{w.entry.pk}/",
        lambda w: {"subject": "hydrogen"},
        if_match("entry"),
        JOINT_OFFICE_ONLY,
    ),
    (
        "fill calendar",
        "post",
        lambda w: "/api/calendar-entries/fill/",
        lambda w: {"kind": "chain_month", "year": 2031},
        None,
        JOINT_OFFICE_ONLY,
    ),
    (
        "build report",
        "post",
        lambda w: f"/api/rounds/{w.round.pk}/report/build/",
        lambda w: {"refresh": True},
        None,
        _created(ROUND_RUNNERS, 202),
    ),
    ("deliveries list", "get", lambda w: f"/api/deliveries/?report={w.report.pk}", None, None, ALL_ROLES),
    ("delivery detail", "get", lambda w: f"/api/deliveries/{w.delivery.pk}/", None, None, OFFICIALS_ONLY),
    ("resend delivery", "post", lambda w: f"/api/deliveries/{w.delivery.pk}/resend/", None, None, OFFICIALS_ONLY),
    ("users list", "get", lambda w: "/api/users/", None, None, JOINT_OFFICE_ONLY),
    ("user detail", "get", lambda w: f"/api/users/{w.target.pk}/", None, None, JOINT_OFFICE_SEES),
    (
        "deactivate user",
        "post",
        lambda w: f"/api/users/{w.target.pk}/deactivate/",
        lambda w: {"reason": "离职"},
        None,
        JOINT_OFFICE_SEES,
    ),
    (
        "activate user",
        "post",
        lambda w: f"/api/users/{w.target.pk}/activate/",
        lambda w: {"reason": "返岗"},
        None,
        JOINT_OFFICE_SEES,
    ),
    (
        "subscribe",
        "post",
        lambda w: "/api/subscriptions/",
        lambda w: {"chains": ["hydrogen"], "language": "en"},
        None,
        {p: 201 for p in PERSONAS} | {"enterprise_member": 403, "subscriber": 400, "anonymous": 401},
    ),
    (
        "change subscription",
        "patch",
        lambda w: f"/api/subscriptions/{w.subscription.pk}/",
        lambda w: {"language": "en", "regions": ["TJ"]},
        if_match("subscription"),
        OWN_SUBSCRIPTION,
    ),
    (
        "replace subscription",
        "put",
        lambda w: f"/api/subscriptions/{w.subscription.pk}/",
        lambda w: {"chains": [], "clusters": [], "regions": [], "language": "zh-hans", "is_active": False},
        if_match("subscription"),
        OWN_SUBSCRIPTION,
    ),
    (
        "unsubscribe",
        "delete",
        lambda w: f"/api/subscriptions/{w.subscription.pk}/",
        None,
        None,
        _created(OWN_SUBSCRIPTION, 204),
    ),
    ("offers list", "get", lambda w: "/api/offers/", None, None, ALL_ROLES),
    ("offer of a draft", "get", lambda w: f"/api/offers/{w.profile.offers.get().pk}/", None, None, DRAFT_READERS),
    (
        "add offer",
        "post",
        lambda w: "/api/offers/",
        lambda w: {"profile": w.profile.pk, "node": w.child.code, "title": "碱性电解槽", "trl": 6},
        None,
        DRAFT_ADDERS,
    ),
    (
        "change offer",
        "patch",
        lambda w: f"/api/offers/{w.profile.offers.get().pk}/",
        lambda w: {"title": "新标题"},
        lambda w: {"HTTP_IF_MATCH": tag(w.profile.offers.get())},
        DRAFT_EDITORS,
    ),
    (
        "delete offer",
        "delete",
        lambda w: f"/api/offers/{w.profile.offers.get().pk}/",
        None,
        None,
        _created(DRAFT_EDITORS, 204),
    ),
    ("needs list", "get", lambda w: "/api/needs/", None, None, ALL_ROLES),
    (
        "add need",
        "post",
        lambda w: "/api/needs/",
        lambda w: {"profile": w.profile.pk, "node": w.node.code, "title": "高效催化剂"},
        None,
        DRAFT_ADDERS,
    ),
    (
        "replace need",
        "put",
        lambda w: f"/api/needs/{w.profile.needs.get().pk}/",
        lambda w: {"node": w.spare.code, "title": "储氢材料", "status": "open"},
        lambda w: {"HTTP_IF_MATCH": tag(w.profile.needs.get())},
        DRAFT_EDITORS,
    ),
    (
        "delete need",
        "delete",
        lambda w: f"/api/needs/{w.profile.needs.get().pk}/",
        None,
        None,
        _created(DRAFT_EDITORS, 204),
    ),
    (
        "create enterprise",
        "post",
        lambda w: "/api/enterprises/",
        lambda w: {"credit_code": NEW_CODE, "name": "北京新企业", "region": "BJ", "reason": "新增"},
        None,
        _created(ENTERPRISE_EDITORS) | {"enterprise_member": 403, "subscriber": 403},
    ),
    (
        "update enterprise",
        "patch",
        lambda w: f"/api/enterprises/{w.bj_enterprise.credit_code}/",
        lambda w: {"name": "北京示例（更名）", "is_high_tech": True, "reason": "更名"},
        if_match("bj_enterprise"),
        ENTERPRISE_EDITORS,
    ),
    (
        "replace enterprise",
        "put",
        lambda w: f"/api/enterprises/{w.bj_enterprise.credit_code}/",
        lambda w: {"name": "北京示例", "size": "large", "reason": "核实"},
        if_match("bj_enterprise"),
        ENTERPRISE_EDITORS,
    ),
]


@pytest.mark.parametrize("row", [pytest.param(row, id=row[0]) for row in ACTIONS])
def test_action_matrix(row: Row, actions_world, request) -> None:
    assert _statuses(row, actions_world, request) == row[5]


def _jo(request) -> APIClient:
    client = APIClient()
    client.force_login(request.getfixturevalue("joint_office"))
    return client


# --- leadership terms ------------------------------------------------------------------------------


def test_term_patch_moves_the_end_and_records_the_reason(world, api_for, joint_office) -> None:
    new_end = TODAY + dt.timedelta(days=45)
    response = api_for(joint_office).patch(
        f"/api/leadership-terms/{world.term.pk}/",
        {"ends_on": new_end.isoformat(), "reason": "提前交接"},
        format="json",
        HTTP_IF_MATCH=tag(world.term),
    )
    assert response.status_code == 200, response.content
    assert response.json()["ends_on"] == new_end.isoformat()
    world.term.refresh_from_db()
    assert world.term.ends_on == new_end
    assert world.term.history.latest().history_change_reason == "提前交接"


def test_term_update_without_reason_names_the_field(world, api_for, joint_office) -> None:
    response = api_for(joint_office).patch(
        f"/api/leadership-terms/{world.term.pk}/",
        {"ends_on": TODAY.isoformat()},
        format="json",
        HTTP_IF_MATCH=tag(world.term),
    )
    assert response.status_code == 400
    assert "reason" in response.json()["error"]["fields"]


def test_term_update_refuses_a_past_start_naming_the_field(world, api_for, joint_office) -> None:
    response = api_for(joint_office).patch(
        f"/api/leadership-terms/{world.term.pk}/",
        {"starts_on": (TODAY - dt.timedelta(days=20)).isoformat(), "reason": "改"},
        format="json",
        HTTP_IF_MATCH=tag(world.term),
    )
    assert response.status_code == 400
    assert "starts_on" in response.json()["error"]["fields"]


def test_regenerate_returns_the_new_terms(world, api_for, joint_office) -> None:
    starts = TODAY + dt.timedelta(days=30)
    response = api_for(joint_office).post(
        "/api/leadership-terms/regenerate/",
        {"chain": "hydrogen", "starts_on": starts.isoformat(), "order": ["TJ", "HE"], "term_months": 2, "reason": "r"},
        format="json",
    )
    assert response.status_code == 200, response.content
    terms = response.json()
    assert [t["region"] for t in terms[:2]] == ["TJ", "HE"]
    assert terms[0]["starts_on"] == starts.isoformat()
    world.term.refresh_from_db()
    assert world.term.ends_on == starts - dt.timedelta(days=1)


def test_regenerate_with_unknown_region_names_order(world, api_for, joint_office) -> None:
    response = api_for(joint_office).post(
        "/api/leadership-terms/regenerate/",
        {"chain": "hydrogen", "starts_on": TODAY.isoformat(), "order": ["XX"], "term_months": 2, "reason": "r"},
        format="json",
    )
    assert response.status_code == 400
    assert "order" in response.json()["error"]["fields"]


# --- calendars -------------------------------------------------------------------------------------


def test_calendar_set_then_list_by_year(world, api_for, joint_office) -> None:
    client = api_for(joint_office)
    created = client.post(
        "/api/calendar-entries/", {"kind": "chain_month", "period": "2030-03-20", "subject": "hydrogen"}, format="json"
    )
    assert created.status_code == 201, created.content
    assert created.json()["period"] == "2030-03-01"
    again = client.post(
        "/api/calendar-entries/", {"kind": "chain_month", "period": "2030-03-02", "subject": "hydrogen"}, format="json"
    )
    assert again.status_code == 200
    listed = client.get("/api/calendar-entries/", {"year": 2030, "kind": "chain_month"}).json()
    assert [e["period"] for e in listed["results"]] == ["2030-03-01"]
    assert client.get("/api/calendar-entries/", {"year": 2029}).json()["count"] == 0


def test_calendar_locked_period_names_period(world, api_for, joint_office) -> None:
    other = f.ChainFactory(slug="other")
    period = world.round.period  # the world's round is matched
    m.CalendarEntry.objects.create(kind=m.RoundKind.CHAIN_MONTH, period=period, chain=world.chain)
    response = api_for(joint_office).post(
        "/api/calendar-entries/",
        {"kind": "chain_month", "period": period.isoformat(), "subject": other.slug},
        format="json",
    )
    assert response.status_code == 400
    assert "period" in response.json()["error"]["fields"]
    listed = api_for(joint_office).get("/api/calendar-entries/", {"year": period.year}).json()["results"]
    assert [e["locked"] for e in listed] == [True]


def test_calendar_unknown_subject_names_subject(world, api_for, joint_office) -> None:
    response = api_for(joint_office).post(
        "/api/calendar-entries/",
        {"kind": "cluster_quarter", "period": "2030-01-01", "subject": "hydrogen"},
        format="json",
    )
    assert response.status_code == 400
    assert "subject" in response.json()["error"]["fields"]


def test_calendar_fill_gives_every_month_a_chain(world, api_for, joint_office) -> None:
    response = api_for(joint_office).post(
        "/api/calendar-entries/fill/", {"kind": "chain_month", "year": 2031}, format="json"
    )
    assert response.status_code == 200, response.content
    assert len(response.json()) == 12
    assert {e["chain"] for e in response.json()} == {"hydrogen"}


def test_calendar_fill_bad_year_names_year(world, api_for, joint_office) -> None:
    response = api_for(joint_office).post(
        "/api/calendar-entries/fill/", {"kind": "chain_month", "year": 1999}, format="json"
    )
    assert response.status_code == 400
    assert "year" in response.json()["error"]["fields"]


# --- report build, deliveries ----------------------------------------------------------------------


def test_report_build_enqueues_after_commit(
    world, api_for, bj_official, django_capture_on_commit_callbacks, monkeypatch
) -> None:
    calls: list[dict[str, Any]] = []
    from chainmap.reports import tasks as tasks_reports

    monkeypatch.setattr(tasks_reports.build_report, "delay", lambda **kwargs: calls.append(kwargs))
    with django_capture_on_commit_callbacks(execute=True):
        response = api_for(bj_official).post(
            f"/api/rounds/{world.round.pk}/report/build/", {"refresh": True}, format="json"
        )
    assert response.status_code == 202
    assert calls == [{"round_id": world.round.pk, "refresh": True}]


def test_report_build_is_throttled(world, api_for, bj_official, settings) -> None:
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "reports": "2/minute"},
    }
    from rest_framework.throttling import ScopedRateThrottle

    rates = ScopedRateThrottle.THROTTLE_RATES
    ScopedRateThrottle.THROTTLE_RATES = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
    try:
        client = api_for(bj_official)
        codes = [
            client.post(f"/api/rounds/{world.round.pk}/report/build/", {}, format="json").status_code for _ in range(3)
        ]
    finally:
        ScopedRateThrottle.THROTTLE_RATES = rates
    assert codes == [202, 202, 429]


def test_resend_puts_a_failed_delivery_back_in_the_queue(actions_world, api_for, tj_official) -> None:
    delivery = actions_world.delivery
    response = api_for(tj_official).post(f"/api/deliveries/{delivery.pk}/resend/")
    assert response.status_code == 200
    assert response.json()["status"] == "pending"
    again = api_for(tj_official).post(f"/api/deliveries/{delivery.pk}/resend/")
    assert again.status_code == 400
    assert "delivery" in again.json()["error"]["fields"]


def test_deliveries_filter_by_report_and_hide_from_non_officials(
    actions_world, api_for, bj_official, subscriber
) -> None:
    other_round = f.RoundFactory(chain=actions_world.chain, period=dt.date(2026, 12, 1))
    other = m.Report.objects.create(round=other_round)
    m.Delivery.objects.create(report=other, email="x@example.cn")
    listed = api_for(bj_official).get("/api/deliveries/", {"report": actions_world.report.pk}).json()
    assert [d["email"] for d in listed["results"]] == ["sub@example.cn"]
    assert api_for(subscriber).get("/api/deliveries/").json()["count"] == 0


# --- users -----------------------------------------------------------------------------------------


def test_user_list_filters_by_role_and_active(world, api_for, joint_office, he_official) -> None:
    client = api_for(joint_office)
    officials = client.get("/api/users/", {"role": "region_official"}).json()["results"]
    assert {u["username"] for u in officials} == {"bj_official", "tj_official", "he_official"}
    assert {u["region"] for u in officials} == {"BJ", "TJ", "HE"}
    he_official.is_active = False
    he_official.save()
    inactive = client.get("/api/users/", {"active": "false"}).json()["results"]
    assert [(u["username"], u["active"]) for u in inactive] == [("he_official", False)]


def test_deactivation_stops_the_token_at_once(world, api_for, joint_office, he_official) -> None:
    token, _ = Token.objects.get_or_create(user=he_official)
    machine = APIClient()
    machine.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert machine.get("/api/chains/").status_code == 200
    response = api_for(joint_office).post(f"/api/users/{he_official.pk}/deactivate/", {"reason": "离职"}, format="json")
    assert response.status_code == 200
    assert response.json()["active"] is False
    assert machine.get("/api/chains/").status_code == 401
    assert not Token.objects.filter(user=he_official).exists()
    back = api_for(joint_office).post(f"/api/users/{he_official.pk}/activate/", {"reason": "返岗"}, format="json")
    assert back.json()["active"] is True


def test_deactivation_needs_a_reason(world, api_for, joint_office, he_official) -> None:
    response = api_for(joint_office).post(f"/api/users/{he_official.pk}/deactivate/", {}, format="json")
    assert response.status_code == 400
    assert "reason" in response.json()["error"]["fields"]


def test_joint_office_cannot_deactivate_itself(world, api_for, joint_office) -> None:
    response = api_for(joint_office).post(f"/api/users/{joint_office.pk}/deactivate/", {"reason": "x"}, format="json")
    assert response.status_code == 403


# --- subscriptions ---------------------------------------------------------------------------------


def test_subscribe_then_change_then_unsubscribe(world, api_for, bj_official) -> None:
    cluster = f.ClusterFactory(slug="adv")
    client = api_for(bj_official)
    created = client.post("/api/subscriptions/", {"chains": ["hydrogen"], "clusters": ["adv"]}, format="json")
    assert created.status_code == 201, created.content
    body = created.json()
    assert (body["user"], body["chains"], body["clusters"], body["language"]) == (
        "bj_official",
        ["hydrogen"],
        ["adv"],
        "zh-hans",
    )
    changed = client.patch(
        f"/api/subscriptions/{body['id']}/",
        {"language": "en", "chains": []},
        format="json",
        HTTP_IF_MATCH=created["ETag"],
    )
    assert changed.json()["language"] == "en"
    assert changed.json()["chains"] == []
    assert changed.json()["clusters"] == [cluster.slug]
    assert client.delete(f"/api/subscriptions/{body['id']}/").status_code == 204
    assert not m.Subscription.objects.filter(user=bj_official).exists()


def test_subscription_bad_language_and_chain_name_the_fields(world, api_for, bj_official) -> None:
    response = api_for(bj_official).post("/api/subscriptions/", {"language": "fr", "chains": ["nope"]}, format="json")
    assert response.status_code == 400
    assert set(response.json()["error"]["fields"]) == {"language", "chains"}


def test_joint_office_subscribes_someone_else_but_not_a_member(world, api_for, joint_office, he_official) -> None:
    client = api_for(joint_office)
    assert client.post("/api/subscriptions/", {"user": "he_official"}, format="json").status_code == 201
    refused = client.post("/api/subscriptions/", {"user": "ent_member"}, format="json")
    assert refused.status_code == 400
    assert "user" in refused.json()["error"]["fields"]


def test_official_cannot_subscribe_someone_else(world, api_for, bj_official) -> None:
    assert api_for(bj_official).post("/api/subscriptions/", {"user": "he_official"}, format="json").status_code == 403


# --- enterprises -----------------------------------------------------------------------------------


def test_enterprise_update_needs_if_match_and_refuses_stale(world, api_for, bj_official) -> None:
    client = api_for(bj_official)
    url = f"/api/enterprises/{world.bj_enterprise.credit_code}/"
    read = client.get(url)
    etag = read["ETag"]
    assert client.patch(url, {"name": "新名", "reason": "r"}, format="json").status_code == 428
    ok = client.patch(url, {"name": "新名", "reason": "r"}, format="json", HTTP_IF_MATCH=etag)
    assert ok.status_code == 200
    assert ok["ETag"] != etag
    assert ok.json()["name"] == "新名"
    stale = client.patch(url, {"name": "再改", "reason": "r"}, format="json", HTTP_IF_MATCH=etag)
    assert stale.status_code == 412
    world.bj_enterprise.refresh_from_db()
    assert world.bj_enterprise.name == "新名"
    assert world.bj_enterprise.history.latest().history_change_reason == "r"


def test_enterprise_credit_code_cannot_change(world, api_for, joint_office) -> None:
    client = api_for(joint_office)
    url = f"/api/enterprises/{world.bj_enterprise.credit_code}/"
    response = client.patch(
        url, {"credit_code": NEW_CODE, "reason": "r"}, format="json", HTTP_IF_MATCH=client.get(url)["ETag"]
    )
    assert response.status_code == 400
    assert "credit_code" in response.json()["error"]["fields"]


def test_enterprise_subregion_must_be_in_its_region(world, api_for, bj_official, regions) -> None:
    tj_district = m.SubRegion.objects.create(region=regions["TJ"], name="滨海新区")
    bj_district = m.SubRegion.objects.create(region=regions["BJ"], name="海淀区")
    client = api_for(bj_official)
    url = f"/api/enterprises/{world.bj_enterprise.credit_code}/"
    bad = client.patch(
        url, {"subregion": tj_district.pk, "reason": "r"}, format="json", HTTP_IF_MATCH=client.get(url)["ETag"]
    )
    assert bad.status_code == 400
    assert "subregion" in bad.json()["error"]["fields"]
    good = client.patch(
        url, {"subregion": bj_district.pk, "reason": "r"}, format="json", HTTP_IF_MATCH=client.get(url)["ETag"]
    )
    assert good.json()["subregion"] == "海淀区"


def test_region_official_cannot_move_an_enterprise_away(world, api_for, bj_official, joint_office) -> None:
    url = f"/api/enterprises/{world.bj_enterprise.credit_code}/"
    client = api_for(bj_official)
    refused = client.patch(url, {"region": "HE", "reason": "r"}, format="json", HTTP_IF_MATCH=client.get(url)["ETag"])
    assert refused.status_code == 400
    assert "region" in refused.json()["error"]["fields"]
    jo = api_for(joint_office)
    moved = jo.patch(url, {"region": "HE", "reason": "迁址"}, format="json", HTTP_IF_MATCH=jo.get(url)["ETag"])
    assert moved.json()["region"] == "HE"


def test_enterprise_create_validates_the_credit_code(world, api_for, bj_official) -> None:
    client = api_for(bj_official)
    bad = client.post(
        "/api/enterprises/",
        {"credit_code": "91110000000000000X", "name": "x", "region": "BJ", "reason": "r"},
        format="json",
    )
    assert bad.status_code == 400
    assert "credit_code" in bad.json()["error"]["fields"]
    dup = client.post(
        "/api/enterprises/",
        {"credit_code": world.bj_enterprise.credit_code, "name": "x", "region": "BJ", "reason": "r"},
        format="json",
    )
    assert dup.status_code == 400
    assert "credit_code" in dup.json()["error"]["fields"]
    other_region = client.post(
        "/api/enterprises/", {"credit_code": NEW_CODE, "name": "x", "region": "TJ", "reason": "r"}, format="json"
    )
    assert other_region.status_code == 403
    created = client.post(
        "/api/enterprises/",
        {"credit_code": NEW_CODE.lower(), "name": "北京新", "region": "BJ", "is_specialized": True, "reason": "新增"},
        format="json",
    )
    assert created.status_code == 201, created.content
    assert created.json()["credit_code"] == NEW_CODE
    assert created.json()["is_specialized"] is True
    assert created["ETag"] == f'"{created.json()["id"]}-1"'


def test_enterprise_bad_email_names_the_field(world, api_for, bj_official) -> None:
    client = api_for(bj_official)
    url = f"/api/enterprises/{world.bj_enterprise.credit_code}/"
    response = client.patch(
        url, {"contact_email": "not-mail", "reason": "r"}, format="json", HTTP_IF_MATCH=client.get(url)["ETag"]
    )
    assert response.status_code == 400
    assert "contact_email" in response.json()["error"]["fields"]


# --- offers and needs ------------------------------------------------------------------------------


def test_offer_patch_keeps_the_other_fields(world, api_for, enterprise_member) -> None:
    offer = world.profile.offers.get()
    response = api_for(enterprise_member).patch(
        f"/api/offers/{offer.pk}/", {"trl": 7}, format="json", HTTP_IF_MATCH=tag(offer)
    )
    assert response.status_code == 200, response.content
    offer.refresh_from_db()
    assert (offer.trl, offer.title, offer.node_id) == (7, response.json()["title"], world.node.pk)


def test_items_of_a_submitted_version_cannot_change(world, api_for, enterprise_member) -> None:
    world.profile.status = m.ProfileStatus.SUBMITTED
    world.profile.save()
    need = world.profile.needs.get()
    response = api_for(enterprise_member).delete(f"/api/needs/{need.pk}/")
    assert response.status_code == 400
    assert "status" in response.json()["error"]["fields"]
    assert m.TechnologyNeed.objects.filter(pk=need.pk).exists()


def test_offer_with_unknown_node_names_the_field(world, api_for, enterprise_member) -> None:
    response = api_for(enterprise_member).post(
        "/api/offers/", {"profile": world.profile.pk, "node": "NOPE-1", "title": "x"}, format="json"
    )
    assert response.status_code == 400
    assert "node" in response.json()["error"]["fields"]


def test_report_lists_its_recipients_to_officials_only(actions_world, api_for, bj_official, subscriber) -> None:
    url = f"/api/reports/{actions_world.report.pk}/"
    assert [d["email"] for d in api_for(bj_official).get(url).json()["deliveries"]] == ["sub@example.cn"]
    assert api_for(subscriber).get(url).json()["deliveries"] == []
