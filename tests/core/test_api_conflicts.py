"""ETag / If-Match on nodes, edges, placements, profiles and bottlenecks: 428 without, 412 when stale,
200 with the new ETag when it matches."""

from __future__ import annotations

import pytest

CASES = [
    # (world attribute, url, body, version field)
    ("node", lambda w: f"/api/nodes/{w.node.code}/", {"name": "改过的名字", "reason": "更名"}, "version"),
    ("edge", lambda w: f"/api/edges/{w.edge.pk}/", {"kind": "service", "reason": "改类"}, "version"),
    ("placement", lambda w: f"/api/placements/{w.placement.pk}/", {"status": "confirmed"}, "version"),
    (
        "bottleneck",
        lambda w: f"/api/bottlenecks/{w.bottleneck.code}/",
        {"title": "新标题", "reason": "修订"},
        "version",
    ),
    ("profile", lambda w: f"/api/profiles/{w.profile.pk}/", {"products": "碱性电解槽"}, "edit_version"),
]


def _editor(attr: str, request):
    return request.getfixturevalue("enterprise_member" if attr == "profile" else "joint_office")


@pytest.mark.parametrize(("attr", "url", "body", "field"), CASES, ids=[c[0] for c in CASES])
def test_detail_carries_the_etag(attr, url, body, field, world, api_for, request) -> None:
    obj = getattr(world, attr)
    response = api_for(_editor(attr, request)).get(url(world))
    assert response.status_code == 200
    assert response["ETag"] == f'"{obj.pk}-{getattr(obj, field)}"'


@pytest.mark.parametrize(("attr", "url", "body", "field"), CASES, ids=[c[0] for c in CASES])
def test_update_without_if_match_is_428(attr, url, body, field, world, api_for, request) -> None:
    response = api_for(_editor(attr, request)).patch(url(world), body, format="json")
    assert response.status_code == 428
    assert response.json()["error"]["code"] == "precondition_required"


@pytest.mark.parametrize(("attr", "url", "body", "field"), CASES, ids=[c[0] for c in CASES])
def test_stale_if_match_is_412_and_writes_nothing(attr, url, body, field, world, api_for, request) -> None:
    client = api_for(_editor(attr, request))
    obj = getattr(world, attr)
    current = client.get(url(world))["ETag"]
    stale = f'"{obj.pk}-{getattr(obj, field) - 1 if getattr(obj, field) > 1 else 99}"'
    response = client.patch(url(world), body, format="json", HTTP_IF_MATCH=stale)
    assert response.status_code == 412
    assert response.json()["error"]["code"] in ("conflict", "precondition_failed")
    assert client.get(url(world))["ETag"] == current


@pytest.mark.parametrize("header", ['W/"1-1"', "*", "garbage", '"999999-1"'])
def test_unusable_if_match_is_412(header, world, api_for, joint_office) -> None:
    response = api_for(joint_office).patch(
        f"/api/nodes/{world.node.code}/", {"name": "x", "reason": "r"}, format="json", HTTP_IF_MATCH=header
    )
    assert response.status_code == 412


@pytest.mark.parametrize(("attr", "url", "body", "field"), CASES, ids=[c[0] for c in CASES])
def test_matching_if_match_is_200_with_the_new_etag(attr, url, body, field, world, api_for, request) -> None:
    client = api_for(_editor(attr, request))
    obj = getattr(world, attr)
    before = getattr(obj, field)
    response = client.patch(url(world), body, format="json", HTTP_IF_MATCH=client.get(url(world))["ETag"])
    assert response.status_code == 200, response.content
    obj.refresh_from_db()
    assert getattr(obj, field) == before + 1
    assert response["ETag"] == f'"{obj.pk}-{before + 1}"'


def test_second_writer_with_the_old_etag_gets_412(world, api_for, joint_office, bj_official) -> None:
    url = f"/api/nodes/{world.node.code}/"
    first, second = api_for(joint_office), api_for(bj_official)
    read = first.get(url)["ETag"]
    assert first.patch(url, {"name": "甲", "reason": "a"}, format="json", HTTP_IF_MATCH=read).status_code == 200
    response = second.patch(url, {"name": "乙", "reason": "b"}, format="json", HTTP_IF_MATCH=read)
    assert response.status_code == 412
    assert response.json()["error"]["current_version"] == 2
    world.node.refresh_from_db()
    assert world.node.name == "甲"


def test_change_is_recorded_in_history_with_user_and_reason(world, token_client, bj_official) -> None:
    url = f"/api/nodes/{world.node.code}/"
    token_client.patch(
        url, {"name": "脚本改名", "reason": "脚本"}, format="json", HTTP_IF_MATCH=token_client.get(url)["ETag"]
    )
    record = world.node.history.first()
    assert (record.name, record.history_user, record.history_change_reason) == ("脚本改名", bj_official, "脚本")
