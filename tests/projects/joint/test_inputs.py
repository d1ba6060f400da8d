"""One input per write: the joint-project pages' forms and the API's serializers produce the same
``ProjectInput`` / ``MilestoneInput`` / ``BatchInput``, and the page and the API refuse the same case
with the same status (the services' ``check_*`` before the input is read, the service after)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from rest_framework.test import APIClient

from projects import models as pm
from projects.joint import services as svc
from projects.joint.api import serializers as s
from projects.joint.forms import BatchForm, MilestoneForm, ParticipantFormSet, ProjectForm
from tests import factories as f


@pytest.fixture
def project(regions):
    chain = f.ChainFactory(slug="hydrogen", name="氢能")
    bottleneck = f.BottleneckFactory(chain=chain, code="KD-H2-001", title="质子交换膜")
    project = f.ProjectFactory(code="JP2-01", title="超充固态电池", chain=chain, batch=f.BatchFactory(number=2))
    project.bottlenecks.add(bottleneck)
    pm.Participant.objects.create(project=project, unit_name="北京研究院", region=regions["BJ"], role="lead")
    pm.Participant.objects.create(project=project, unit_name="天津电池企业", region=regions["TJ"])
    pm.Milestone.objects.create(project=project, position=1, title="样机", due_on=dt.date(2026, 9, 1))
    return project


def api_as(user) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


def etag(obj) -> str:
    return f'"{obj.pk}-{obj.version}"'


def test_the_project_form_and_the_api_serializer_produce_the_same_input(project, regions, joint_office) -> None:
    bottleneck = project.bottlenecks.get()
    enterprise = f.EnterpriseFactory(region=regions["TJ"])
    post = {
        "code": "jp2-20",
        "batch": project.batch.pk,
        "title": "高性能芯片",
        "description": "",
        "chain": project.chain.pk,
        "bottlenecks": [bottleneck.pk],
        "lead_region": regions["BJ"].pk,
        "budget": "3000.00",
        "starts_on": "2026-01-01",
        "ends_on": "2028-12-31",
        "participants-TOTAL_FORMS": "3",
        "participants-INITIAL_FORMS": "0",
        "participants-0-unit_name": "北京芯片研究院",
        "participants-0-region": regions["BJ"].pk,
        "participants-0-role": "lead",
        "participants-1-unit_name": "天津封装企业",
        "participants-1-region": regions["TJ"].pk,
        "participants-1-role": "participant",
        "participants-1-enterprise": enterprise.credit_code,
        "participants-2-role": "participant",
    }
    form = ProjectForm(data=post, user=joint_office, creating=True)
    formset = ParticipantFormSet(data=post, prefix="participants")
    assert form.is_valid(), form.errors
    assert formset.is_valid(), formset.errors
    serializer = s.ProjectCreateSerializer(
        data={
            "code": "jp2-20",
            "batch": project.batch.number,
            "title": "高性能芯片",
            "description": "",
            "chain": "hydrogen",
            "bottlenecks": [bottleneck.code],
            "lead_region": "BJ",
            "budget": "3000.00",
            "starts_on": "2026-01-01",
            "ends_on": "2028-12-31",
            "participants": [
                {"unit_name": "北京芯片研究院", "region": "BJ", "role": "lead"},
                {"unit_name": "天津封装企业", "region": "TJ", "enterprise": enterprise.credit_code},
            ],
        }
    )
    assert serializer.is_valid(), serializer.errors
    assert form.to_input(formset) == serializer.to_input()
    given = form.to_input(formset).given()
    assert (given["batch_id"], given["lead_region_id"], given["bottleneck_ids"]) == (
        project.batch.pk,
        regions["BJ"].pk,
        [bottleneck.pk],
    )
    assert given["participants"][1] == {
        "unit_name": "天津封装企业",
        "region_id": regions["TJ"].pk,
        "role": "participant",
        "enterprise_id": enterprise.pk,
    }
    created = svc.project_create(user=joint_office, data=serializer.to_input())
    assert (created.code, created.participants.count()) == ("JP2-20", 2)


def test_the_milestone_and_batch_forms_and_serializers_produce_the_same_input(project) -> None:
    values = {"title": "中试", "due_on": "2026-12-31", "weight": 2, "progress": 40}
    form = MilestoneForm(data=values)
    serializer = s.MilestoneCreateSerializer(data=values | {"project": project.code})
    assert form.is_valid(), form.errors
    assert serializer.is_valid(), serializer.errors
    assert form.to_input() == serializer.to_input()
    assert form.to_input().position is svc.UNSET  # an empty position: not given (last / unchanged)
    batch = {"number": 7, "name": "第七批", "launched_on": "2026-03-01", "description": "说明"}
    batch_form, batch_serializer = BatchForm(data=batch), s.BatchWriteSerializer(data=batch)
    assert batch_form.is_valid() and batch_serializer.is_valid()
    assert batch_form.to_input() == batch_serializer.to_input()


def test_an_input_naming_no_field_of_the_write_is_refused_naming_it() -> None:
    with pytest.raises(ValidationError) as caught:
        svc.ProjectInput.from_data({"title": "x", "colour": "red", "status": "accepted"})
    assert set(caught.value.message_dict) == {"colour", "status"}


def test_page_and_api_refuse_another_regions_official_alike(project, client_for, he_official) -> None:
    """Not allowed: 403 on both, whatever the input (an empty one included)."""
    page = client_for(he_official).post(f"/projects/{project.code}/edit/", {})
    api = api_as(he_official).patch(f"/api/projects/{project.code}/", {}, format="json", HTTP_IF_MATCH=etag(project))
    assert (page.status_code, api.status_code) == (403, 403)
    page = client_for(he_official).post(f"/projects/{project.code}/status/", {"status": "in_progress"})
    api = api_as(he_official).post(f"/api/projects/{project.code}/set-status/", {"status": "in_progress"})
    assert (page.status_code, api.status_code) == (403, 403)
    milestone = project.milestones.get()
    page = client_for(he_official).post(f"/projects/milestones/{milestone.pk}/delete/")
    api = api_as(he_official).delete(f"/api/milestones/{milestone.pk}/")
    assert (page.status_code, api.status_code) == (403, 403)
    assert project.milestones.exists()


def test_page_and_api_refuse_closing_a_project_to_a_participating_region_alike(project, client_for, bj_official):
    """The status rule is the service's alone now: a participant may not terminate (403 on both)."""
    page = client_for(bj_official).post(f"/projects/{project.code}/status/", {"status": "terminated"})
    api = api_as(bj_official).post(f"/api/projects/{project.code}/set-status/", {"status": "terminated"})
    assert (page.status_code, api.status_code) == (403, 403)
    project.refresh_from_db()
    assert project.status == pm.ProjectStatus.APPROVED


def test_page_and_api_answer_404_for_an_unknown_project(project, client_for, joint_office) -> None:
    page = client_for(joint_office).post("/projects/NOPE/edit/", {})
    api = api_as(joint_office).patch("/api/projects/NOPE/", {}, format="json", HTTP_IF_MATCH='"1-1"')
    assert (page.status_code, api.status_code) == (404, 404)
