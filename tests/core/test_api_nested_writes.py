"""Writes that take a list are all-or-nothing: one bad nested item answers 400 naming it by its
indexed path (``offers[1].node``) and leaves every row of the database as it was."""

from __future__ import annotations

from typing import Any

import pytest
from django.apps import apps

from chainmap import models as m
from projects import models as pm


def dump() -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every chainmap and projects table (history tables included)."""
    rows: dict[str, list[tuple[Any, ...]]] = {}
    for label in ("chainmap", "projects"):
        for model in apps.get_app_config(label).get_models():
            rows[model._meta.label] = list(model._default_manager.order_by("pk").values_list())
    return rows


def fields_of(response) -> dict[str, list[str]]:
    assert response.status_code == 400, response.content
    return response.json()["error"]["fields"]


def patch_profile(api_for, user, profile, body: dict[str, Any]):
    client = api_for(user)
    tag = client.get(f"/api/profiles/{profile.pk}/")["ETag"]
    return client.patch(f"/api/profiles/{profile.pk}/", body, format="json", HTTP_IF_MATCH=tag)


def test_profile_patch_with_an_unknown_offer_node_writes_nothing(world, api_for, enterprise_member) -> None:
    before = dump()
    response = patch_profile(
        api_for,
        enterprise_member,
        world.profile,
        {
            "products": "新产品",
            "offers": [{"node": world.node.code, "title": "好的"}, {"node": "NO-SUCH-NODE", "title": "x"}],
        },
    )
    fields = fields_of(response)
    assert list(fields) == ["offers[1].node"]
    assert "NO-SUCH-NODE" in fields["offers[1].node"][0]
    assert dump() == before


def test_profile_patch_with_a_bad_need_names_its_index(world, api_for, enterprise_member) -> None:
    before = dump()
    response = patch_profile(
        api_for,
        enterprise_member,
        world.profile,
        {"capacity": "很多", "needs": [{"node": world.spare.code, "title": ""}]},
    )
    assert "needs[0].title" in fields_of(response)
    assert dump() == before


def test_profile_patch_names_every_bad_item_at_once(world, api_for, enterprise_member) -> None:
    response = patch_profile(
        api_for,
        enterprise_member,
        world.profile,
        {
            "offers": [{"node": "NOPE-1", "title": "a"}, {"node": world.node.code, "title": "b"}],
            "needs": [{"node": world.spare.code, "title": "c"}, {"node": "NOPE-2", "title": "d"}],
        },
    )
    assert set(fields_of(response)) == {"offers[0].node", "needs[1].node"}


def test_profile_patch_items_without_optional_fields_are_added_with_one_version_bump(
    world, api_for, enterprise_member
) -> None:
    profile = world.profile
    edit_version = m.CapabilityProfile.objects.get(pk=profile.pk).edit_version
    offers_before = profile.offers.count()
    needs_before = profile.needs.count()
    response = patch_profile(
        api_for,
        enterprise_member,
        profile,
        {
            "products": "电解槽",
            "offers": [{"node": world.node.code, "title": "碱性电解槽"}],
            "needs": [{"node": world.spare.code, "title": "高压储罐"}],
        },
    )
    assert response.status_code == 200, response.content
    profile.refresh_from_db()
    assert profile.products == "电解槽"
    assert profile.edit_version == edit_version + 1
    assert response["ETag"] == f'"{profile.pk}-{profile.edit_version}"'
    assert profile.offers.count() == offers_before + 1
    assert profile.needs.count() == needs_before + 1
    offer = profile.offers.get(title="碱性电解槽")
    assert (offer.description, offer.trl, offer.node_id) == ("", None, world.node.pk)
    need = profile.needs.get(title="高压储罐")
    assert (need.description, need.is_bottleneck, need.status) == ("", False, m.TechnologyNeed.Status.OPEN)


def test_profile_patch_with_a_stale_etag_adds_no_offer(world, api_for, enterprise_member) -> None:
    client = api_for(enterprise_member)
    before = dump()
    stale = f'"{world.profile.pk}-{world.profile.edit_version + 5}"'
    response = client.patch(
        f"/api/profiles/{world.profile.pk}/",
        {"offers": [{"node": world.node.code, "title": "t"}]},
        format="json",
        HTTP_IF_MATCH=stale,
    )
    assert response.status_code == 412
    assert dump() == before


def test_proposal_with_one_bad_item_writes_nothing(world, api_for, tj_official) -> None:
    before = dump()
    body = {
        "chain": world.chain.slug,
        "title": "两处改名",
        "reason": "更准确",
        "items": [
            {"operation": "rename_node", "node": world.node.code, "name": "新名"},
            {"operation": "rename_node", "node": "NO-SUCH-NODE", "name": "x"},
        ],
    }
    response = api_for(tj_official).post("/api/proposals/", body, format="json")
    assert "items[1].node" in fields_of(response)
    assert dump() == before


def test_proposal_item_serializer_error_is_indexed(world, api_for, tj_official) -> None:
    body = {
        "chain": world.chain.slug,
        "title": "t",
        "reason": "r",
        "items": [{"operation": "rename_node", "node": world.node.code, "name": "n"}, {"operation": "explode"}],
    }
    assert list(fields_of(api_for(tj_official).post("/api/proposals/", body, format="json"))) == ["items[1].operation"]


def test_bottleneck_with_one_unknown_node_writes_nothing(world, api_for, bj_official) -> None:
    before = dump()
    body = {
        "chain": world.chain.slug,
        "code": "KD-900",
        "title": "质子交换膜",
        "raised_by": "BJ",
        "nodes": [world.node.code, "NO-SUCH-NODE"],
        "reason": "新卡点",
    }
    response = api_for(bj_official).post("/api/bottlenecks/", body, format="json")
    assert "nodes" in fields_of(response) or "nodes[1]" in fields_of(response)
    assert dump() == before


def test_bottleneck_patch_with_one_unknown_node_writes_nothing(world, api_for, bj_official) -> None:
    client = api_for(bj_official)
    url = f"/api/bottlenecks/{world.bottleneck.code}/"
    tag = client.get(url)["ETag"]
    before = dump()
    body = {"title": "新标题", "nodes": [world.spare.code, "NO-SUCH-NODE"], "reason": "r"}
    response = client.patch(url, body, format="json", HTTP_IF_MATCH=tag)
    assert response.status_code == 400, response.content
    assert dump() == before


def new_project(w, participants: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "code": "JP-NEW",
        "batch": w.project.batch.number,
        "title": "超充固态电池",
        "chain": w.chain.slug,
        "bottlenecks": [w.bottleneck.code],
        "lead_region": "TJ",
        "budget": "2600.00",
        "starts_on": "2026-01-01",
        "ends_on": "2028-12-31",
        "participants": participants,
    }


def test_project_with_one_bad_participant_writes_nothing(world, api_for, joint_office) -> None:
    before = dump()
    body = new_project(
        world,
        [{"unit_name": "天津电池企业", "region": "TJ", "role": "lead"}, {"unit_name": "河北企业", "region": "XX"}],
    )
    response = api_for(joint_office).post("/api/projects/", body, format="json")
    assert "participants[1].region" in fields_of(response)
    assert dump() == before


def test_project_patch_with_one_bad_participant_writes_nothing(world, api_for, joint_office) -> None:
    before = dump()
    body = {
        "title": "新题目",
        "participants": [{"unit_name": "北京单位", "region": "BJ", "role": "lead"}, {"unit_name": "", "region": "TJ"}],
    }
    client = api_for(joint_office)
    url = f"/api/projects/{world.project.code}/"
    # Joint projects may carry an ETag (then PATCH needs it back in If-Match).
    read = client.get(url)
    headers = {"HTTP_IF_MATCH": read["ETag"]} if read.has_header("ETag") else {}
    response = client.patch(url, body, format="json", **headers)
    assert "participants[1].unit_name" in fields_of(response)
    assert dump() == before


def test_challenge_with_one_bad_phase_writes_nothing(world, api_for, bj_official) -> None:
    before = dump()
    body = {
        "bottleneck": world.bottleneck.code,
        "code": "JB-900",
        "mechanism": "saima",
        "title": "赛马",
        "max_funded_teams": 2,
        "phases": [{"name": "一期", "gate_on": "2030-01-01"}, {"name": "二期", "gate_on": "not a date"}],
    }
    response = api_for(bj_official).post("/api/challenges/", body, format="json")
    assert "phases[1].gate_on" in fields_of(response)
    assert dump() == before


def test_scores_with_one_bad_item_write_nothing(world, api_for, bj_official) -> None:
    pm.Challenge.objects.filter(pk=world.challenge.pk).update(status=pm.ChallengeStatus.REVIEWING)
    before = dump()
    body = {"scores": [{"criterion": "technology", "score": 80}, {"criterion": "team", "score": 101}]}
    response = api_for(bj_official).post(f"/api/applications/{world.application.pk}/score/", body, format="json")
    assert "scores[1].score" in fields_of(response)
    assert dump() == before


def test_terms_regenerate_with_one_unknown_region_writes_nothing(world, api_for, joint_office) -> None:
    before = dump()
    body = {
        "chain": world.chain.slug,
        "starts_on": "2099-01-01",
        "order": ["BJ", "XX", "HE"],
        "term_months": 6,
        "reason": "新规则",
    }
    response = api_for(joint_office).post("/api/leadership-terms/regenerate/", body, format="json")
    assert response.status_code == 400, response.content
    assert dump() == before


def test_subscription_with_one_unknown_chain_writes_nothing(world, api_for, bj_official) -> None:
    before = dump()
    body = {"chains": [world.chain.slug, "no-such-chain"]}
    response = api_for(bj_official).post("/api/subscriptions/", body, format="json")
    assert response.status_code == 400, response.content
    assert dump() == before


def test_award_with_one_unknown_winner_writes_nothing(world, api_for, bj_official) -> None:
    pm.Challenge.objects.filter(pk=world.challenge.pk).update(status=pm.ChallengeStatus.REVIEWING)
    before = dump()
    response = api_for(bj_official).post(
        f"/api/challenges/{world.challenge.code}/award/",
        {"winners": [world.application.pk, 2**40]},
        format="json",
    )
    assert response.status_code == 400, response.content
    assert dump() == before


# --- the request is the transaction ---------------------------------------------------------------


def _node_body(code: str) -> dict[str, Any]:
    return {"chain": "hydrogen", "code": code, "name": "新节点", "segment": "up", "reason": "补链"}


def test_an_error_answered_after_a_write_undoes_the_write(world, api_for, joint_office, monkeypatch) -> None:
    from rest_framework.exceptions import ValidationError

    from chainmap.core.api import views

    def fail(self, obj, **kwargs):
        raise ValidationError({"code": ["refused after the write"]})

    monkeypatch.setattr(views.ApiViewSet, "show", fail)
    before = dump()
    response = api_for(joint_office).post("/api/nodes/", _node_body("H2-UP-77"), format="json")
    assert response.status_code == 400
    assert not m.Node.objects.filter(code="H2-UP-77").exists()
    assert dump() == before


def test_a_crash_after_a_write_undoes_the_write(world, api_for, joint_office, monkeypatch) -> None:
    from chainmap.core.api import views

    def crash(self, obj, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(views.ApiViewSet, "show", crash)
    with pytest.raises(RuntimeError):
        api_for(joint_office).post("/api/nodes/", _node_body("H2-UP-78"), format="json")
    assert not m.Node.objects.filter(code="H2-UP-78").exists()


def test_tasks_are_enqueued_on_commit_and_not_for_a_failed_request(
    world, api_for, bj_official, monkeypatch, django_capture_on_commit_callbacks
) -> None:
    client = api_for(bj_official)
    url = f"/api/rounds/{world.round.pk}/report/build/"
    with django_capture_on_commit_callbacks() as callbacks:
        assert client.post(url, {}, format="json").status_code == 202
    assert len(callbacks) == 1, "the build is queued once the request commits"

    from rest_framework.exceptions import ValidationError

    from chainmap.core.api import views

    def fail(self, obj, **kwargs):
        raise ValidationError({"refresh": ["refused after the enqueue"]})

    monkeypatch.setattr(views.ApiViewSet, "show", fail)
    with django_capture_on_commit_callbacks() as callbacks:
        assert client.post(url, {}, format="json").status_code == 400
    assert callbacks == []


def test_views_that_must_commit_at_once_are_not_wrapped() -> None:
    from django.conf import settings
    from django.db import connection
    from django.urls import resolve

    assert "chainmap.core.middleware.AtomicWritesMiddleware" in settings.MIDDLEWARE
    assert not connection.settings_dict["ATOMIC_REQUESTS"]  # reads open no transaction

    assert resolve("/login/").func._non_atomic_requests == {"default"}


def test_a_read_opens_no_transaction(world, api_for, joint_office) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = api_for(joint_office)
    client.get("/api/chains/")
    with CaptureQueriesContext(connection) as ctx:
        assert client.get("/api/chains/").status_code == 200
    assert not [q for q in ctx.captured_queries if q["sql"] in ("BEGIN", "COMMIT")]
