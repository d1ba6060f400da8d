"""The joint-project pages: persona × page matrix, buttons only for who may use them, Chinese text,
forms through the services, and a constant query count on the list page."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from projects import models as pm
from tests import factories as f

PERSONAS = ("joint_office", "bj_official", "tj_official", "he_official", "enterprise_member", "subscriber")
EVERYONE = dict.fromkeys(PERSONAS, 200)
EDITORS = dict.fromkeys(PERSONAS, 403) | {"joint_office": 200, "bj_official": 200, "tj_official": 200}
JOINT_OFFICE = dict.fromkeys(PERSONAS, 403) | {"joint_office": 200}


@pytest.fixture
def project(regions):
    chain = f.ChainFactory(slug="hydrogen", name="氢能")
    bottleneck = f.BottleneckFactory(chain=chain, code="KD-H2-001", title="质子交换膜")
    project = f.ProjectFactory(code="JP2-01", title="超充固态电池", chain=chain, batch=f.BatchFactory(number=2))
    project.bottlenecks.add(bottleneck)
    pm.Participant.objects.create(project=project, unit_name="北京研究院", region=regions["BJ"], role="lead")
    pm.Participant.objects.create(project=project, unit_name="天津电池企业", region=regions["TJ"])
    pm.Milestone.objects.create(
        project=project,
        position=1,
        title="样机",
        due_on=dt.date(2026, 1, 1),
        progress=100,
        completed_on=dt.date(2026, 1, 1),
    )
    pm.Milestone.objects.create(project=project, position=2, title="中试", due_on=dt.date(2026, 9, 1), weight=3)
    return project


def milestone(project) -> pm.Milestone:
    return project.milestones.get(position=2)


PAGES = [
    ("list", lambda p: "/projects/", EVERYONE),
    ("detail", lambda p: f"/projects/{p.code}/", EVERYONE),
    ("detail, lower-case code", lambda p: f"/projects/{p.code.lower()}/", EVERYONE),
    ("edit", lambda p: f"/projects/{p.code}/edit/", EDITORS),
    ("add milestone", lambda p: f"/projects/{p.code}/milestones/new/", EDITORS),
    ("edit milestone", lambda p: f"/projects/milestones/{milestone(p).pk}/edit/", EDITORS),
    ("launch project", lambda p: "/projects/new/", JOINT_OFFICE),
    ("launch batch", lambda p: "/projects/batches/new/", JOINT_OFFICE),
    ("edit batch", lambda p: f"/projects/batches/{p.batch.number}/edit/", JOINT_OFFICE),
]


@pytest.mark.parametrize(("name", "url", "expected"), PAGES, ids=[page[0] for page in PAGES])
def test_page_matrix(name, url, expected, project, client_for, request) -> None:
    answers = {
        persona: client_for(request.getfixturevalue(persona)).get(url(project)).status_code for persona in PERSONAS
    }
    assert answers == expected
    anonymous = client_for(None).get(url(project))
    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith("/login/")


@pytest.mark.parametrize(
    "url",
    ["/projects/NOPE/", "/projects/NOPE/edit/", "/projects/milestones/999999/edit/", "/projects/batches/99/edit/"],
)
def test_unknown_objects_answer_404(url, project, client_for, joint_office) -> None:
    assert client_for(joint_office).get(url).status_code == 404


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("post", lambda p: f"/projects/{p.code}/status/"),
        ("post", lambda p: f"/projects/milestones/{milestone(p).pk}/delete/"),
    ],
)
def test_other_regions_cannot_post(method, url, project, client_for, he_official, enterprise_member) -> None:
    for user in (he_official, enterprise_member):
        assert getattr(client_for(user), method)(url(project), {"status": "in_progress"}).status_code == 403
    project.refresh_from_db()
    assert project.status == "approved"
    assert project.milestones.count() == 2


def test_the_list_shows_batches_projects_and_progress_in_chinese(project, client_for, subscriber) -> None:
    page = client_for(subscriber).get("/projects/").content.decode()
    assert "区域联合攻关项目" in page
    assert "第2批" in page
    assert "超充固态电池" in page
    assert '<progress max="100" value="25.0"' in page  # (100·1 + 0·3) / 4
    assert "style=" not in page
    assert "/projects/new/" not in page


def test_the_joint_office_sees_the_launch_buttons(project, client_for, joint_office) -> None:
    page = client_for(joint_office).get("/projects/").content.decode()
    assert "/projects/new/" in page
    assert "/projects/batches/new/" in page


def test_the_list_filters_by_participating_region(project, client_for, bj_official, regions) -> None:
    other = f.ProjectFactory(title="河北项目", batch=project.batch)
    pm.Participant.objects.create(project=other, unit_name="河北企业", region=regions["HE"], role="lead")
    pm.Participant.objects.create(project=other, unit_name="北京大学", region=regions["BJ"])
    page = client_for(bj_official).get("/projects/", {"region": "TJ"}).content.decode()
    assert "超充固态电池" in page
    assert "河北项目" not in page
    page = client_for(bj_official).get("/projects/", {"status": "in_progress"}).content.decode()
    assert "超充固态电池" not in page


def test_the_detail_page_shows_participants_bottlenecks_and_milestones(project, client_for, tj_official) -> None:
    page = client_for(tj_official).get(f"/projects/{project.code}/").content.decode()
    for text in ("北京研究院", "天津电池企业", "KD-H2-001", "质子交换膜", "样机", "中试", "里程碑", "参与单位"):
        assert text in page, text
    assert f"/projects/{project.code}/edit/" in page
    assert f"/projects/milestones/{milestone(project).pk}/delete/" in page
    assert "/chains/hydrogen/" in page


def test_the_detail_page_hides_the_buttons_from_other_regions(project, client_for, he_official) -> None:
    page = client_for(he_official).get(f"/projects/{project.code}/").content.decode()
    assert "超充固态电池" in page
    assert f"/projects/{project.code}/edit/" not in page
    assert "/delete/" not in page
    assert f"/projects/{project.code}/status/" not in page


def test_participants_cannot_offer_acceptance(project, client_for, bj_official, joint_office) -> None:
    pm.JointProject.objects.filter(pk=project.pk).update(status="completed")
    page = client_for(bj_official).get(f"/projects/{project.code}/").content.decode()
    assert 'value="accepted"' not in page
    assert 'value="accepted"' in client_for(joint_office).get(f"/projects/{project.code}/").content.decode()


# --- forms ----------------------------------------------------------------------------------------


def project_post(regions, batch, **overrides) -> dict:
    data = {
        "code": "jp2-20",
        "batch": batch.pk,
        "title": "高性能系统级智算芯片",
        "lead_region": regions["BJ"].pk,
        "budget": "3000",
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
        "participants-2-role": "participant",
    }
    return data | overrides


def test_the_joint_office_launches_a_project_through_the_form(project, client_for, joint_office, regions) -> None:
    response = client_for(joint_office).post("/projects/new/", project_post(regions, project.batch))
    assert response.status_code == 302
    assert response["Location"] == "/projects/JP2-20/"
    created = pm.JointProject.objects.get(code="JP2-20")
    assert created.participants.count() == 2
    assert created.lead_unit == "北京芯片研究院"


def test_a_one_region_project_is_refused_with_the_reason(project, client_for, joint_office, regions) -> None:
    data = project_post(regions, project.batch, **{"participants-1-region": regions["BJ"].pk})
    response = client_for(joint_office).post("/projects/new/", data)
    assert response.status_code == 200
    page = response.content.decode()
    assert "参与单位" in page
    assert "两个" in page  # 至少来自两个地区
    assert not pm.JointProject.objects.filter(code="JP2-20").exists()


def test_an_official_edits_a_milestone_to_complete(project, client_for, bj_official) -> None:
    target = milestone(project)
    data = {"position": 2, "title": "中试完成", "due_on": "2026-09-01", "weight": 3, "progress": 100}
    response = client_for(bj_official).post(f"/projects/milestones/{target.pk}/edit/", data)
    assert response.status_code == 302
    target.refresh_from_db()
    assert (target.title, target.progress) == ("中试完成", 100)
    assert target.completed_on is not None


def test_a_taken_position_is_named_on_the_form(project, client_for, bj_official) -> None:
    data = {"position": 1, "title": "重复", "due_on": "2026-09-01", "weight": 1, "progress": 0}
    response = client_for(bj_official).post(f"/projects/{project.code}/milestones/new/", data)
    assert response.status_code == 200
    assert response.context["form"].errors["position"]
    assert project.milestones.count() == 2


def test_an_official_moves_the_project_along(project, client_for, tj_official) -> None:
    response = client_for(tj_official).post(f"/projects/{project.code}/status/", {"status": "in_progress"})
    assert response.status_code == 302
    project.refresh_from_db()
    assert project.status == "in_progress"
    response = client_for(tj_official).post(f"/projects/{project.code}/status/", {"status": "completed"}, follow=True)
    project.refresh_from_db()
    assert project.status == "in_progress"
    assert "不能" in response.content.decode()


def test_an_official_deletes_a_milestone(project, client_for, bj_official) -> None:
    response = client_for(bj_official).post(f"/projects/milestones/{milestone(project).pk}/delete/")
    assert response.status_code == 302
    assert list(project.milestones.values_list("position", flat=True)) == [1]


def test_the_joint_office_launches_a_batch(project, client_for, joint_office) -> None:
    data = {"number": 3, "name": "第三批", "launched_on": "2026-06-01", "description": ""}
    assert client_for(joint_office).post("/projects/batches/new/", data).status_code == 302
    page = client_for(joint_office).get("/projects/").content.decode()
    assert "第三批" in page


# --- query budget ---------------------------------------------------------------------------------

SEQ = itertools.count(100)


def _grow(regions, n: int) -> None:
    for _ in range(n):
        batch = f.BatchFactory(number=next(SEQ) // 3)
        project = f.ProjectFactory(batch=batch, chain=f.ChainFactory())
        project.bottlenecks.add(f.BottleneckFactory(chain=project.chain))
        pm.Participant.objects.create(project=project, unit_name="甲", region=regions["BJ"], role="lead")
        pm.Participant.objects.create(project=project, unit_name="乙", region=regions["HE"])
        pm.Milestone.objects.create(project=project, position=1, title="m", due_on=dt.date(2026, 1, 1), progress=30)


@pytest.mark.parametrize("query", ["", "?region=HE"])
def test_the_list_page_runs_a_constant_number_of_queries(query, regions, client_for, joint_office) -> None:
    client = client_for(joint_office)
    _grow(regions, 2)
    with CaptureQueriesContext(connection) as few:
        assert client.get(f"/projects/{query}").status_code == 200
    _grow(regions, 18)
    with CaptureQueriesContext(connection) as many:
        response = client.get(f"/projects/{query}")
    assert response.content.decode().count("<progress") > 20
    assert len(many.captured_queries) == len(few.captured_queries)


def test_the_detail_page_runs_a_constant_number_of_queries(project, regions, client_for, joint_office) -> None:
    client = client_for(joint_office)
    with CaptureQueriesContext(connection) as few:
        client.get(f"/projects/{project.code}/")
    for position in range(3, 20):
        pm.Milestone.objects.create(project=project, position=position, title="m", due_on=dt.date(2026, 1, 1))
        project.bottlenecks.add(f.BottleneckFactory(chain=project.chain))
    with CaptureQueriesContext(connection) as many:
        client.get(f"/projects/{project.code}/")
    assert len(many.captured_queries) == len(few.captured_queries)
