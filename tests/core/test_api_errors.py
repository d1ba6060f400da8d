"""Bad input answers 4xx in the one error shape, naming the field; never a 500."""

from __future__ import annotations

import pytest


def _error(response) -> dict:
    body = response.json()
    assert set(body) == {"error"}
    assert {"code", "message"} <= set(body["error"])
    return body["error"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"chain": "hydrogen", "code": "H2-UP-09", "name": "n", "segment": 3, "reason": "r"}, "segment"),
        ({"chain": "hydrogen", "code": "H2-UP-09", "name": "n", "segment": "sideways", "reason": "r"}, "segment"),
        ({"chain": "no-such-chain", "code": "H2-UP-09", "name": "n", "segment": "up", "reason": "r"}, "chain"),
        ({"chain": "hydrogen", "code": "H2-UP-09", "name": "长" * 101, "segment": "up", "reason": "r"}, "name"),
        ({"chain": "hydrogen", "code": "H2-UP-09", "name": ["list"], "segment": "up", "reason": "r"}, "name"),
        ({"chain": "hydrogen", "code": "H2-UP-09", "name": "n", "segment": "up"}, "reason"),
        ({"chain": "hydrogen", "code": "lower case", "name": "n", "segment": "up", "reason": "r"}, "code"),
        ({"chain": "hydrogen", "code": "H2-UP-01", "name": "duplicate", "segment": "up", "reason": "r"}, "code"),
        (
            {"chain": "hydrogen", "code": "H2-UP-09", "name": "n", "segment": "up", "parent": "NOPE-1", "reason": "r"},
            "parent",
        ),
    ],
)
def test_bad_node_input_names_the_field(body, field, world, api_for, joint_office) -> None:
    response = api_for(joint_office).post("/api/nodes/", body, format="json")
    assert response.status_code == 400, response.content
    error = _error(response)
    assert error["code"] == "invalid"
    assert field in error["fields"]


def test_edge_making_a_cycle_is_400(world, api_for, joint_office) -> None:
    body = {"chain": "hydrogen", "source": world.spare.code, "target": world.node.code, "reason": "r"}
    response = api_for(joint_office).post("/api/edges/", body, format="json")
    assert response.status_code == 400
    assert _error(response)["fields"]


def test_nested_item_errors_name_the_path(world, api_for, tj_official) -> None:
    body = {"chain": "hydrogen", "title": "t", "reason": "r", "items": [{"operation": "explode"}]}
    response = api_for(tj_official).post("/api/proposals/", body, format="json")
    assert response.status_code == 400
    assert "items[0].operation" in _error(response)["fields"]


def test_malformed_json_is_400(world, api_for, joint_office) -> None:
    response = api_for(joint_office).generic("POST", "/api/nodes/", "{not json", content_type="application/json")
    assert response.status_code == 400
    assert _error(response)["code"] == "parse_error"


def test_json_that_is_not_an_object_is_400(world, api_for, joint_office) -> None:
    response = api_for(joint_office).post("/api/nodes/", [1, 2], format="json")
    assert response.status_code == 400
    _error(response)


def test_form_body_is_415(world, api_for, joint_office) -> None:
    response = api_for(joint_office).post("/api/nodes/", {"name": "x"}, format="multipart")
    assert response.status_code == 415
    assert _error(response)["code"] == "unsupported_media_type"


def test_unknown_filter_value_is_400_naming_it(world, api_for, joint_office) -> None:
    response = api_for(joint_office).get("/api/nodes/?segment=sideways")
    assert response.status_code == 400
    assert "segment" in _error(response)["fields"]


@pytest.mark.parametrize(
    ("method", "url", "status", "code"),
    [
        ("get", "/api/nodes/NOPE-1/", 404, "not_found"),
        ("get", "/api/no-such-thing/", 404, "not_found"),
        ("get", "/api/nodes/?page=999", 404, "not_found"),
        ("delete", "/api/regions/BJ/", 405, "method_not_allowed"),
    ],
)
def test_http_errors_share_the_shape(method, url, status, code, world, api_for, joint_office) -> None:
    response = getattr(api_for(joint_office), method)(url)
    assert response.status_code == status
    assert _error(response)["code"] == code


def test_unauthenticated_is_401_in_the_shape(world, api_for) -> None:
    response = api_for(None).get("/api/nodes/")
    assert response.status_code == 401
    assert _error(response)["code"] == "not_authenticated"
    assert response["WWW-Authenticate"] == "Token"


def test_forbidden_is_403_in_the_shape(world, api_for, he_official) -> None:
    body = {"chain": "hydrogen", "code": "H2-UP-09", "name": "n", "segment": "up", "reason": "r"}
    response = api_for(he_official).post("/api/nodes/", body, format="json")
    assert response.status_code == 403
    assert _error(response)["code"] == "permission_denied"


def test_deleting_a_node_in_use_is_400_and_deletes_nothing(world, api_for, joint_office) -> None:
    response = api_for(joint_office).delete(f"/api/nodes/{world.node.code}/?reason=清理")
    assert response.status_code == 400
    assert world.node.__class__.objects.filter(pk=world.node.pk).exists()


def test_throttled_is_429_in_the_shape(world, api_for, joint_office, settings) -> None:
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"map": "1/minute"}}
    from rest_framework.throttling import ScopedRateThrottle

    saved = ScopedRateThrottle.THROTTLE_RATES
    ScopedRateThrottle.THROTTLE_RATES = {"map": "1/minute"}
    try:
        client = api_for(joint_office)
        assert client.get("/api/chains/hydrogen/map/").status_code == 200
        response = client.get("/api/chains/hydrogen/map/")
    finally:
        ScopedRateThrottle.THROTTLE_RATES = saved
    assert response.status_code == 429
    assert _error(response)["code"] == "throttled"
    assert "Retry-After" in response
