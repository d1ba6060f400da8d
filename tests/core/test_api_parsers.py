"""Hostile JSON: bodies nested too deep or too large are refused with a 400 in the error shape,
before the parser recurses into them; ordinary bodies, strings full of brackets included, parse."""

from __future__ import annotations

import pytest
from django.conf import settings
from rest_framework.exceptions import ParseError

from chainmap.core.api.parsers import JSONParser, json_depth

DEEP = "[" * 5000 + "]" * 5000
DEEP_OBJECTS = '{"a":' * 5000 + "1" + "}" * 5000


def _error(response) -> dict:
    assert response.status_code == 400, response.content
    body = response.json()
    assert set(body) == {"error"}
    return body["error"]


@pytest.mark.parametrize("deep", [DEEP, DEEP_OBJECTS])
def test_a_deep_proposal_body_is_400_not_500(deep, world, api_for, tj_official) -> None:
    body = '{"chain": "hydrogen", "title": "t", "reason": "r", "items": ' + deep + "}"
    response = api_for(tj_official).generic("POST", "/api/proposals/", body, content_type="application/json")
    error = _error(response)
    assert error["code"] == "too_deep"
    assert str(settings.CHAINMAP_API_JSON_MAX_DEPTH) in error["message"]


def test_a_deep_node_patch_is_400_not_500(world, api_for, joint_office) -> None:
    client = api_for(joint_office)
    url = f"/api/nodes/{world.node.code}/"
    tag = client.get(url)["ETag"]
    body = '{"name": ' + DEEP_OBJECTS + "}"
    response = client.generic("PATCH", url, body, content_type="application/json", HTTP_IF_MATCH=tag)
    assert _error(response)["code"] == "too_deep"
    world.node.refresh_from_db()
    assert world.node.name == "制氢"


def test_a_body_over_the_size_limit_is_400(world, api_for, tj_official, settings) -> None:
    settings.CHAINMAP_API_JSON_MAX_BYTES = 1000
    body = '{"chain": "hydrogen", "title": "' + "x" * 2000 + '", "reason": "r", "items": []}'
    response = api_for(tj_official).generic("POST", "/api/proposals/", body, content_type="application/json")
    error = _error(response)
    assert error["code"] == "too_large"
    assert "1000" in error["message"]


def test_a_body_at_the_depth_limit_is_parsed(world, api_for, tj_official, settings) -> None:
    settings.CHAINMAP_API_JSON_MAX_DEPTH = 3
    body = '{"chain": "hydrogen", "title": "t", "reason": "r", "items": [{"operation": "explode"}]}'
    response = api_for(tj_official).generic("POST", "/api/proposals/", body, content_type="application/json")
    assert "items[0].operation" in _error(response)["fields"]
    too_deep = '{"chain": "hydrogen", "title": "t", "reason": "r", "items": [{"operation": ["x"]}]}'
    response = api_for(tj_official).generic("POST", "/api/proposals/", too_deep, content_type="application/json")
    assert _error(response)["code"] == "too_deep"


@pytest.mark.parametrize(
    ("text", "depth"),
    [
        ("1", 0),
        ('"[[[["', 0),
        ("[]", 1),
        ('{"a": [1, {"b": "}}]]{{"}]}', 3),
        ('["\\"[[["]', 1),
        ('["\\\\", [["]]]"]]]', 3),
        ("[[], [], [[]]]", 3),
    ],
)
def test_depth_counts_brackets_outside_strings(text, depth) -> None:
    assert json_depth(text) == depth


def test_the_parser_stops_counting_past_the_limit() -> None:
    assert json_depth("[" * 100_000, limit=32) == 33


def test_the_parser_refuses_before_json_recurses() -> None:
    import io

    with pytest.raises(ParseError) as exc:
        JSONParser().parse(io.BytesIO(DEEP.encode()), "application/json", {})
    assert exc.value.get_codes() == "too_deep"


def test_non_json_constants_are_still_refused(world, api_for, joint_office) -> None:
    body = '{"chain": "hydrogen", "code": "H2-UP-09", "name": "n", "segment": "up", "reason": NaN}'
    response = api_for(joint_office).generic("POST", "/api/nodes/", body, content_type="application/json")
    assert _error(response)["code"] == "parse_error"


def test_the_schema_documents_the_limits() -> None:
    from drf_spectacular.generators import SchemaGenerator

    description = SchemaGenerator().get_schema(request=None, public=True)["info"]["description"]
    assert f"{settings.CHAINMAP_API_JSON_MAX_DEPTH} levels" in description
    assert "MiB" in description
