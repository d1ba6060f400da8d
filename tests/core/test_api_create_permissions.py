"""One answer per case: a user who may not create a resource gets 403 whatever the body, because the
permission check runs before the input is read. A body that is empty, malformed or far too deep
changes nothing about it."""

from __future__ import annotations

import pytest

CREATES = [
    "/api/nodes/",
    "/api/edges/",
    "/api/enterprises/",
    "/api/placements/",
    "/api/profiles/",
    "/api/offers/",
    "/api/needs/",
    "/api/proposals/",
    "/api/bottlenecks/",
    "/api/rounds/",
    "/api/calendar-entries/",
    "/api/calendar-entries/fill/",
    "/api/leadership-terms/regenerate/",
    "/api/batches/",
    "/api/projects/",
    "/api/milestones/",
    "/api/challenges/",
    "/api/applications/",
]
# What an enterprise member may not create either (it may create profiles, offers, needs, placements
# and applications for its own enterprise).
MEMBER_REFUSED = [
    url
    for url in CREATES
    if url not in ("/api/profiles/", "/api/offers/", "/api/needs/", "/api/placements/", "/api/applications/")
]
BODIES = ["{}", "{not json", "[" * 5000]


def _forbidden(response) -> None:
    assert response.status_code == 403, (response.status_code, response.content[:300])
    assert response.json()["error"]["code"] == "permission_denied"


@pytest.mark.parametrize("url", CREATES)
@pytest.mark.parametrize("body", BODIES)
def test_a_subscriber_may_create_nothing_whatever_the_body(url, body, world, api_for, subscriber) -> None:
    _forbidden(api_for(subscriber).generic("POST", url, body, content_type="application/json"))


@pytest.mark.parametrize("url", MEMBER_REFUSED)
def test_an_enterprise_member_gets_403_for_an_empty_body(url, world, api_for, enterprise_member) -> None:
    _forbidden(api_for(enterprise_member).post(url, {}, format="json"))


def test_a_subscriber_may_not_upload_an_import(world, api_for, subscriber) -> None:
    _forbidden(api_for(subscriber).post("/api/imports/", {}, format="multipart"))


def test_anonymous_is_401_before_403(world, api_for) -> None:
    response = api_for(None).post("/api/nodes/", {}, format="json")
    assert response.status_code == 401


def test_a_user_who_may_create_still_gets_400_naming_the_fields(world, api_for, joint_office) -> None:
    response = api_for(joint_office).post("/api/nodes/", {}, format="json")
    assert response.status_code == 400
    assert {"chain", "code", "name", "segment", "reason"} <= set(response.json()["error"]["fields"])
