"""Text fields take strings only: a number, boolean, list or object answers 400 naming the field,
never a silently stored ``"123"``."""

from __future__ import annotations

from typing import Any

import pytest

from chainmap import models as m
from projects import models as pm

NOT_TEXT = [123, 1.5, True, ["a"], {"a": "b"}]


def _fields(response) -> dict[str, list[str]]:
    assert response.status_code == 400, response.content
    body = response.json()["error"]
    assert body["code"] == "invalid"
    return body["fields"]


def _node(**overrides: Any) -> dict[str, Any]:
    return {"chain": "hydrogen", "code": "H2-UP-09", "name": "新节点", "segment": "up", "reason": "补链"} | overrides


@pytest.mark.parametrize("value", NOT_TEXT)
def test_node_name_must_be_text(value, world, api_for, joint_office) -> None:
    response = api_for(joint_office).post("/api/nodes/", _node(name=value), format="json")
    assert "name" in _fields(response)
    assert not m.Node.objects.filter(code="H2-UP-09").exists()


@pytest.mark.parametrize("field", ["code", "reason", "description", "parent"])
def test_other_node_text_fields_must_be_text(field, world, api_for, joint_office) -> None:
    response = api_for(joint_office).post("/api/nodes/", _node(**{field: 7}), format="json")
    assert field in _fields(response)


def test_a_string_of_digits_is_still_text(world, api_for, joint_office) -> None:
    response = api_for(joint_office).post("/api/nodes/", _node(name="123"), format="json")
    assert response.status_code == 201, response.content
    assert m.Node.objects.get(code="H2-UP-09").name == "123"


def test_node_patch_name_must_be_text(world, api_for, joint_office) -> None:
    client = api_for(joint_office)
    url = f"/api/nodes/{world.node.code}/"
    tag = client.get(url)["ETag"]
    response = client.patch(url, {"name": 123, "reason": "r"}, format="json", HTTP_IF_MATCH=tag)
    assert "name" in _fields(response)
    world.node.refresh_from_db()
    assert world.node.name == "制氢"


def test_profile_fields_and_nested_offer_titles_must_be_text(world, api_for, enterprise_member) -> None:
    client = api_for(enterprise_member)
    url = f"/api/profiles/{world.profile.pk}/"
    tag = client.get(url)["ETag"]
    body = {"products": 5, "offers": [{"node": world.node.code, "title": 9}], "needs": [{"node": 3, "title": "t"}]}
    fields = _fields(client.patch(url, body, format="json", HTTP_IF_MATCH=tag))
    assert {"products", "offers[0].title", "needs[0].node"} <= set(fields)


def test_proposal_title_and_item_names_must_be_text(world, api_for, tj_official) -> None:
    body = {
        "chain": "hydrogen",
        "title": 1,
        "reason": "r",
        "items": [{"operation": "rename_node", "node": world.node.code, "name": 2}],
    }
    fields = _fields(api_for(tj_official).post("/api/proposals/", body, format="json"))
    assert {"title", "items[0].name"} <= set(fields)


def test_list_items_of_text_must_be_text(world, api_for, bj_official) -> None:
    body = {
        "chain": "hydrogen",
        "code": "KD-900",
        "title": "t",
        "raised_by": "BJ",
        "nodes": [world.node.code, 5],
        "reason": "r",
    }
    assert "nodes[1]" in _fields(api_for(bj_official).post("/api/bottlenecks/", body, format="json"))


def test_enterprise_name_must_be_text(world, api_for, joint_office) -> None:
    client = api_for(joint_office)
    url = f"/api/enterprises/{world.bj_enterprise.credit_code}/"
    tag = client.get(url)["ETag"]
    response = client.patch(url, {"name": 123, "reason": "r"}, format="json", HTTP_IF_MATCH=tag)
    assert "name" in _fields(response)


def test_batch_name_must_be_text(world, api_for, joint_office) -> None:
    response = api_for(joint_office).post("/api/batches/", {"number": 9, "name": 123}, format="json")
    assert "name" in _fields(response)
    assert not pm.Batch.objects.filter(number=9).exists()


def test_project_participant_unit_names_must_be_text(world, api_for, joint_office) -> None:
    body = {"participants": [{"unit_name": 1, "region": "BJ", "role": "lead"}, {"unit_name": "天津", "region": "TJ"}]}
    client = api_for(joint_office)
    url = f"/api/projects/{world.project.code}/"
    # Joint projects may carry an ETag (then PATCH needs it back in If-Match).
    read = client.get(url)
    headers = {"HTTP_IF_MATCH": read["ETag"]} if read.has_header("ETag") else {}
    response = client.patch(url, body, format="json", **headers)
    assert "participants[0].unit_name" in _fields(response)


def test_challenge_title_must_be_text(world, api_for, bj_official) -> None:
    body = {"bottleneck": world.bottleneck.code, "code": "JB-9", "mechanism": "jiebang", "title": False}
    assert "title" in _fields(api_for(bj_official).post("/api/challenges/", body, format="json"))


def test_application_proposal_must_be_text(world, api_for, enterprise_member) -> None:
    body = {"challenge": world.challenge.code, "team_lead": "王工", "proposal": 42}
    assert "proposal" in _fields(api_for(enterprise_member).post("/api/applications/", body, format="json"))


def test_model_serializer_text_fields_are_strict() -> None:
    from chainmap.core.api.fields import StrictCharField
    from chainmap.maps.api.serializers import NodeSerializer
    from projects.challenges.api.serializers import ChallengePhaseSerializer

    assert isinstance(NodeSerializer().fields["name"], StrictCharField)
    assert isinstance(ChallengePhaseSerializer().fields["name"], StrictCharField)
