"""The joint-projects API: permission matrix of the writes and batches, happy paths, field errors, budgets.

In the API world the project is led from Beijing with a Tianjin participant: the joint office, Beijing
(also through its token) and Tianjin may change it; Hebei, the enterprise member and the subscriber see
it but may not (403).
"""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
import schemathesis
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, Phase, settings
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from config.wsgi import application
from projects import models as pm
from tests import factories as f
from tests.core.test_api_permissions import ALL_ROLES, PERSONAS, Row, _statuses, client_as, if_match

EDITORS = {p: 403 for p in PERSONAS} | {
    "joint_office": 200,
    "bj_official": 200,
    "tj_official": 200,
    "token": 200,
    "anonymous": 401,
}
EDITOR_CREATES = {p: (201 if s == 200 else s) for p, s in EDITORS.items()}
EDITOR_DELETES = {p: (204 if s == 200 else s) for p, s in EDITORS.items()}
JOINT_OFFICE_ONLY = {p: 403 for p in PERSONAS} | {"joint_office": 200, "anonymous": 401}
JOINT_OFFICE_CREATES = {p: (201 if s == 200 else s) for p, s in JOINT_OFFICE_ONLY.items()}


def new_project(w) -> dict:
    return {
        "code": "JP-NEW",
        "batch": w.project.batch.number,
        "title": "超充固态电池",
        "chain": "hydrogen",
        "bottlenecks": [w.bottleneck.code],
        "lead_region": "TJ",
        "budget": "2600.00",
        "starts_on": "2026-01-01",
        "ends_on": "2028-12-31",
        "participants": [
            {"unit_name": "天津电池企业", "region": "TJ", "role": "lead"},
            {"unit_name": "河北材料企业", "region": "HE"},
        ],
    }


MATRIX: list[Row] = [
    ("batches list", "get", lambda w: "/api/batches/", None, None, ALL_ROLES),
    ("batch detail", "get", lambda w: f"/api/batches/{w.project.batch.number}/", None, None, ALL_ROLES),
    (
        "create batch",
        "post",
        lambda w: "/api/batches/",
        lambda w: {"number": 7, "name": "第七批", "launched_on": "2026-03-01"},
        None,
        JOINT_OFFICE_CREATES,
    ),
    ("create project", "post", lambda w: "/api/projects/", new_project, None, JOINT_OFFICE_CREATES),
    (
        "update project",
        "patch",
        lambda w: f"/api/projects/{w.project.code}/",
        lambda w: {"title": "新题目", "budget": "100.00"},
        if_match("project"),
        EDITORS,
    ),
    (
        "replace project",
        "put",
        lambda w: f"/api/projects/{w.project.code}/",
        lambda w: {
            "batch": w.project.batch.number,
            "title": "替换题目",
            "lead_region": "BJ",
            "budget": "10.00",
            "starts_on": "2025-07-01",
            "ends_on": "2027-06-30",
            "participants": [
                {"unit_name": "北京单位", "region": "BJ", "role": "lead"},
                {"unit_name": "天津单位", "region": "TJ"},
            ],
        },
        if_match("project"),
        EDITORS,
    ),
    (
        "start project",
        "post",
        lambda w: f"/api/projects/{w.project.code}/set-status/",
        lambda w: {"status": "in_progress"},
        None,
        EDITORS,
    ),
    (
        "terminate project",
        "post",
        lambda w: f"/api/projects/{w.project.code}/set-status/",
        lambda w: {"status": "terminated"},
        None,
        JOINT_OFFICE_ONLY | {"anonymous": 401},
    ),
    (
        "create milestone",
        "post",
        lambda w: "/api/milestones/",
        lambda w: {"project": w.project.code, "title": "中试", "due_on": "2026-12-31", "weight": 2},
        None,
        EDITOR_CREATES,
    ),
    (
        "update milestone",
        "patch",
        lambda w: f"/api/milestones/{w.milestone.pk}/",
        lambda w: {"progress": 50},
        if_match("milestone"),
        EDITORS,
    ),
    (
        "replace milestone",
        "put",
        lambda w: f"/api/milestones/{w.milestone.pk}/",
        lambda w: {"position": 1, "title": "样机", "due_on": "2026-06-30", "weight": 1, "progress": 100},
        if_match("milestone"),
        EDITORS,
    ),
    ("delete milestone", "delete", lambda w: f"/api/milestones/{w.milestone.pk}/", None, None, EDITOR_DELETES),
]


@pytest.mark.parametrize("row", [pytest.param(row, id=row[0]) for row in MATRIX])
def test_joint_api_matrix(row: Row, world, request) -> None:
    assert _statuses(row, world, request) == row[5]


def test_an_unknown_project_answers_404(world, request) -> None:
    client = client_as("joint_office", request)
    assert client.patch("/api/projects/NOPE/", {"title": "x"}, format="json").status_code == 404
    assert client.post("/api/projects/NOPE/set-status/", {"status": "in_progress"}, format="json").status_code == 404


# --- happy paths ----------------------------------------------------------------------------------


def test_the_joint_office_launches_a_project(world, request) -> None:
    response = client_as("joint_office", request).post("/api/projects/", new_project(world), format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["code"] == "JP-NEW"
    assert body["lead_unit"] == "天津电池企业"
    assert body["bottlenecks"] == [world.bottleneck.code]
    assert body["progress"] == 0.0
    assert {(p["unit_name"], p["region"], p["role"]) for p in body["participants"]} == {
        ("天津电池企业", "TJ", "lead"),
        ("河北材料企业", "HE", "participant"),
    }


def test_the_project_shows_its_weighted_progress(world, request) -> None:
    pm.Milestone.objects.filter(pk=world.milestone.pk).update(weight=1, progress=100, completed_on=dt.date(2026, 1, 1))
    pm.Milestone.objects.create(project=world.project, position=2, title="中试", due_on=dt.date(2027, 1, 1), weight=3)
    body = client_as("bj_official", request).get(f"/api/projects/{world.project.code}/").json()
    assert body["progress"] == 25.0


def test_a_milestone_at_100_is_completed(world, request) -> None:
    client = client_as("tj_official", request)
    url = f"/api/milestones/{world.milestone.pk}/"
    response = client.patch(url, {"progress": 100}, format="json", HTTP_IF_MATCH=client.get(url)["ETag"])
    assert response.status_code == 200
    assert response.json()["completed_on"] == timezone.localdate().isoformat()
    response = client.patch(url, {"progress": 60}, format="json", HTTP_IF_MATCH=response["ETag"])
    assert response.json()["completed_on"] is None


def test_a_project_is_accepted_through_its_statuses(world, request) -> None:
    client = client_as("joint_office", request)
    url = f"/api/projects/{world.project.code}/set-status/"
    milestone = f"/api/milestones/{world.milestone.pk}/"
    client.patch(milestone, {"progress": 100}, format="json", HTTP_IF_MATCH=client.get(milestone)["ETag"])
    for step in ("in_progress", "mid_term", "completed"):
        assert client.post(url, {"status": step}, format="json").status_code == 200
    today = timezone.localdate().isoformat()
    response = client.post(url, {"status": "accepted", "accepted_on": today}, format="json")
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["accepted_on"]) == ("accepted", today)


def test_batches_show_their_project_count_and_progress(world, request) -> None:
    pm.Milestone.objects.filter(pk=world.milestone.pk).update(progress=40)
    body = client_as("subscriber", request).get(f"/api/batches/{world.project.batch.number}/").json()
    assert (body["project_count"], body["progress"]) == (1, 40.0)


# --- field errors ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"participants": [{"unit_name": "北京", "region": "BJ", "role": "lead"}]}, "participants"),
        ({"lead_region": "BJ"}, "lead_region"),
        ({"code": "JP 1"}, "code"),
        ({"chain": "nope"}, "chain"),
        ({"budget": "-1"}, "budget"),
        ({"ends_on": "2020-01-01"}, "ends_on"),
    ],
)
def test_a_bad_project_is_refused_naming_the_field(world, request, change, field) -> None:
    body = new_project(world) | change
    response = client_as("joint_office", request).post("/api/projects/", body, format="json")
    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]
    assert not pm.JointProject.objects.filter(code="JP-NEW").exists()


def test_an_illegal_status_names_status(world, request) -> None:
    url = f"/api/projects/{world.project.code}/set-status/"
    response = client_as("joint_office", request).post(url, {"status": "completed"}, format="json")
    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["status"]


def test_acceptance_with_open_milestones_names_status(world, request) -> None:
    pm.JointProject.objects.filter(pk=world.project.pk).update(status="completed")
    url = f"/api/projects/{world.project.code}/set-status/"
    body = {"status": "accepted", "accepted_on": timezone.localdate().isoformat()}
    response = client_as("joint_office", request).post(url, body, format="json")
    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["status"]


@pytest.mark.parametrize(("change", "field"), [({"progress": 101}, "progress"), ({"position": 1}, "position")])
def test_a_bad_milestone_is_refused_naming_the_field(world, request, change, field) -> None:
    body = {"project": world.project.code, "title": "中试", "due_on": "2026-12-31"} | change
    response = client_as("bj_official", request).post("/api/milestones/", body, format="json")
    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]


# --- query budgets --------------------------------------------------------------------------------

SEQ = itertools.count(10)


def _batches(n: int) -> None:
    for _ in range(n):
        batch = f.BatchFactory(number=next(SEQ))
        project = f.ProjectFactory(batch=batch)
        pm.Milestone.objects.create(project=project, position=1, title="m", due_on=dt.date(2026, 1, 1), progress=10)


def _count(client: APIClient, url: str) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, {"page_size": 100})
    assert response.status_code == 200
    return len(ctx.captured_queries), len(response.json()["results"])


def test_the_batch_list_runs_a_constant_number_of_queries(joint_office, regions) -> None:
    client = APIClient()
    client.force_login(joint_office)
    _batches(2)
    few = _count(client, "/api/batches/")
    _batches(18)
    many = _count(client, "/api/batches/")
    assert many[1] == 20
    assert many[0] == few[0]


def test_the_project_list_with_progress_runs_a_constant_number_of_queries(joint_office, regions) -> None:
    client = APIClient()
    client.force_login(joint_office)
    _batches(2)
    few = _count(client, "/api/projects/?ordering=-progress")
    _batches(18)
    many = _count(client, "/api/projects/?ordering=-progress")
    assert many[1] == 20
    assert many[0] == few[0]


# --- schemathesis on the joint endpoints, as the joint office (who may write them all) -------------

joint_schema = schemathesis.openapi.from_dict(SchemaGenerator().get_schema(request=None, public=True)).include(
    path_regex=r"^/api/(projects|milestones|batches)/"
)


@pytest.fixture
def joint_office_token(world, joint_office) -> str:
    return Token.objects.get_or_create(user=joint_office)[0].key


@pytest.mark.django_db
@joint_schema.parametrize()
@settings(
    max_examples=5,
    phases=[Phase.explicit, Phase.generate],
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_joint_endpoints_conform_to_the_schema(case, joint_office_token, wsgi_requests) -> None:
    case.call_and_validate(
        app=application,
        headers={"Authorization": f"Token {joint_office_token}"},
        checks=[not_a_server_error, response_schema_conformance],
    )
