"""Services and roll-ups of joint projects, batches and milestones."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from projects import models as pm
from projects.joint import selectors as sel
from projects.joint import services as svc
from tests import factories as f

START = dt.date(2025, 7, 1)
END = dt.date(2027, 6, 30)


def fields_of(exc: pytest.ExceptionInfo[ValidationError]) -> set[str]:
    return set(exc.value.message_dict)


def units(regions, *rows: tuple[str, str, str]) -> list[dict]:
    return [{"unit_name": name, "region_id": regions[code].pk, "role": role} for name, code, role in rows]


def two_regions(regions) -> list[dict]:
    return units(regions, ("北京研究院", "BJ", "lead"), ("天津企业", "TJ", "participant"))


@pytest.fixture
def batch(db) -> pm.Batch:
    return f.BatchFactory(number=1)


def create(user, regions, batch, **overrides) -> pm.JointProject:
    values = {
        "batch_id": batch.pk,
        "code": "jp-101",
        "title": "超充固态电池",
        "lead_region_id": regions["BJ"].pk,
        "starts_on": START,
        "ends_on": END,
        "participants": two_regions(regions),
        "budget": "1200.50",
    }
    values.update(overrides)
    return svc.project_create(user=user, data=values)


def project_with(regions, *, status: str = pm.ProjectStatus.APPROVED, milestones=(), **kwargs) -> pm.JointProject:
    project = f.ProjectFactory(status=status, **kwargs)
    pm.Participant.objects.create(project=project, unit_name="北京单位", region=regions["BJ"], role="lead")
    pm.Participant.objects.create(project=project, unit_name="天津单位", region=regions["TJ"])
    for position, (weight, progress) in enumerate(milestones, start=1):
        pm.Milestone.objects.create(
            project=project,
            position=position,
            title=f"里程碑{position}",
            due_on=START,
            weight=weight,
            progress=progress,
            completed_on=START if progress == 100 else None,
        )
    return project


# --- batches --------------------------------------------------------------------------------------


def test_it_lets_the_joint_office_launch_and_edit_a_batch(joint_office) -> None:
    batch = svc.batch_create(
        user=joint_office, data={"number": 3, "name": "第三批", "launched_on": dt.date(2026, 6, 1)}
    )
    assert (batch.number, batch.name) == (3, "第三批")
    svc.batch_update(user=joint_office, batch_id=batch.pk, changes={"description": "第三批项目"})
    batch.refresh_from_db()
    assert batch.description == "第三批项目"


def test_it_refuses_a_batch_to_a_region_official(bj_official) -> None:
    with pytest.raises(PermissionDenied):
        svc.batch_create(user=bj_official, data={"number": 3, "name": "第三批"})
    assert not pm.Batch.objects.exists()


def test_it_names_the_duplicate_batch_fields(joint_office, batch) -> None:
    with pytest.raises(ValidationError) as exc:
        svc.batch_create(user=joint_office, data={"number": 1, "name": batch.name})
    assert fields_of(exc) == {"number", "name"}


# --- projects -------------------------------------------------------------------------------------


def test_it_creates_a_project_with_participants_and_bottlenecks(joint_office, regions, batch) -> None:
    chain = f.ChainFactory()
    bottleneck = f.BottleneckFactory(chain=chain)
    project = create(joint_office, regions, batch, chain_id=chain.pk, bottleneck_ids=[bottleneck.pk])
    assert project.code == "JP-101"
    assert project.lead_unit == "北京研究院"
    assert project.budget == Decimal("1200.50")
    assert list(project.bottlenecks.all()) == [bottleneck]
    assert sorted(project.participants.values_list("unit_name", "role")) == [
        ("北京研究院", "lead"),
        ("天津企业", "participant"),
    ]


def test_only_the_joint_office_creates_projects(bj_official, regions, batch) -> None:
    with pytest.raises(PermissionDenied):
        create(bj_official, regions, batch)
    assert not pm.JointProject.objects.exists()


def test_it_needs_units_from_two_regions(joint_office, regions, batch) -> None:
    rows = units(regions, ("北京研究院", "BJ", "lead"), ("北京企业", "BJ", "participant"))
    with pytest.raises(ValidationError) as exc:
        create(joint_office, regions, batch, participants=rows)
    assert fields_of(exc) == {"participants"}
    assert "两个地区" in str(exc.value)


@pytest.mark.parametrize("lead_count", [0, 2])
def test_it_needs_exactly_one_lead(joint_office, regions, batch, lead_count: int) -> None:
    roles = ["lead"] * lead_count + ["participant"] * (2 - lead_count)
    rows = units(regions, ("北京研究院", "BJ", roles[0]), ("天津企业", "TJ", roles[1]))
    with pytest.raises(ValidationError) as exc:
        create(joint_office, regions, batch, participants=rows)
    assert fields_of(exc) == {"participants"}


def test_the_lead_unit_is_in_the_lead_region(joint_office, regions, batch) -> None:
    with pytest.raises(ValidationError) as exc:
        create(joint_office, regions, batch, lead_region_id=regions["TJ"].pk)
    assert fields_of(exc) == {"lead_region"}


def test_it_refuses_bottlenecks_of_another_chain(joint_office, regions, batch) -> None:
    chain, other = f.ChainFactory(), f.ChainFactory()
    foreign = f.BottleneckFactory(chain=other, code="KD-X-1")
    with pytest.raises(ValidationError) as exc:
        create(joint_office, regions, batch, chain_id=chain.pk, bottleneck_ids=[foreign.pk])
    assert fields_of(exc) == {"bottlenecks"}
    assert "KD-X-1" in str(exc.value)


def test_it_names_every_bad_field_and_writes_nothing(joint_office, regions, batch) -> None:
    f.ProjectFactory(code="JP-101", batch=batch)
    with pytest.raises(ValidationError) as exc:
        create(
            joint_office,
            regions,
            batch,
            title="",
            budget="-5",
            ends_on=dt.date(2020, 1, 1),
            participants=[],
        )
    assert fields_of(exc) == {"code", "title", "budget", "ends_on", "participants"}
    assert pm.JointProject.objects.count() == 1


def test_it_refuses_an_enterprise_of_another_region(joint_office, regions, batch) -> None:
    he_enterprise = f.EnterpriseFactory(region=regions["HE"])
    rows = two_regions(regions)
    rows[1]["enterprise_id"] = he_enterprise.pk
    with pytest.raises(ValidationError) as exc:
        create(joint_office, regions, batch, participants=rows)
    assert fields_of(exc) == {"participants"}


def test_it_replaces_participants_as_a_set(bj_official, regions) -> None:
    project = project_with(regions)
    rows = units(regions, ("北京新单位", "BJ", "lead"), ("河北企业", "HE", "participant"))
    svc.project_update(user=bj_official, project_id=project.pk, changes={"participants": rows, "title": "新题目"})
    project.refresh_from_db()
    assert project.title == "新题目"
    assert project.lead_unit == "北京新单位"
    assert sorted(project.participants.values_list("unit_name", flat=True)) == ["北京新单位", "河北企业"]


def test_an_update_keeps_the_two_region_rule(joint_office, regions) -> None:
    project = project_with(regions)
    rows = units(regions, ("北京单位", "BJ", "lead"))
    with pytest.raises(ValidationError) as exc:
        svc.project_update(user=joint_office, project_id=project.pk, changes={"participants": rows})
    assert fields_of(exc) == {"participants"}
    assert project.participants.count() == 2


def test_moving_the_lead_region_away_from_the_lead_is_refused(joint_office, regions) -> None:
    project = project_with(regions)
    with pytest.raises(ValidationError) as exc:
        svc.project_update(user=joint_office, project_id=project.pk, changes={"lead_region_id": regions["TJ"].pk})
    assert fields_of(exc) == {"lead_region"}


def test_changing_the_chain_checks_the_bottlenecks_kept(joint_office, regions) -> None:
    chain = f.ChainFactory()
    project = project_with(regions, chain=chain)
    project.bottlenecks.add(f.BottleneckFactory(chain=chain))
    with pytest.raises(ValidationError) as exc:
        svc.project_update(user=joint_office, project_id=project.pk, changes={"chain_id": f.ChainFactory().pk})
    assert fields_of(exc) == {"bottlenecks"}


def test_officials_of_other_regions_cannot_edit(he_official, regions) -> None:
    project = project_with(regions)
    with pytest.raises(PermissionDenied):
        svc.project_update(user=he_official, project_id=project.pk, changes={"title": "x"})


def test_code_cannot_be_changed(joint_office, regions) -> None:
    project = project_with(regions)
    with pytest.raises(ValidationError) as exc:
        svc.project_update(user=joint_office, project_id=project.pk, changes={"code": "NEW"})
    assert fields_of(exc) == {"code"}


# --- status ---------------------------------------------------------------------------------------


def test_it_moves_a_project_along_its_statuses(joint_office, bj_official, regions) -> None:
    project = project_with(regions, milestones=[(1, 100)])
    for status in ("in_progress", "mid_term", "completed"):
        svc.project_set_status(user=bj_official, project_id=project.pk, status=status)
    accepted = svc.project_set_status(
        user=joint_office, project_id=project.pk, status="accepted", accepted_on=dt.date(2026, 1, 5)
    )
    assert (accepted.status, accepted.accepted_on) == ("accepted", dt.date(2026, 1, 5))


@pytest.mark.parametrize(
    ("start", "target"),
    [("approved", "mid_term"), ("in_progress", "approved"), ("approved", "accepted"), ("terminated", "in_progress")],
)
def test_it_refuses_an_illegal_transition_naming_status(joint_office, regions, start, target) -> None:
    project = project_with(regions, status=start)
    with pytest.raises(ValidationError) as exc:
        svc.project_set_status(user=joint_office, project_id=project.pk, status=target, accepted_on=START)
    assert fields_of(exc) == {"status"}
    project.refresh_from_db()
    assert project.status == start


def test_acceptance_needs_every_milestone_complete(joint_office, regions) -> None:
    project = project_with(regions, status="completed", milestones=[(1, 100), (2, 90)])
    with pytest.raises(ValidationError) as exc:
        svc.project_set_status(user=joint_office, project_id=project.pk, status="accepted", accepted_on=START)
    assert fields_of(exc) == {"status"}


def test_acceptance_needs_a_date(joint_office, regions) -> None:
    project = project_with(regions, status="completed", milestones=[(1, 100)])
    with pytest.raises(ValidationError) as exc:
        svc.project_set_status(user=joint_office, project_id=project.pk, status="accepted")
    assert fields_of(exc) == {"accepted_on"}


def test_participating_regions_cannot_accept_or_terminate(bj_official, regions) -> None:
    project = project_with(regions, status="completed", milestones=[(1, 100)])
    with pytest.raises(PermissionDenied):
        svc.project_set_status(user=bj_official, project_id=project.pk, status="terminated")


# --- milestones -----------------------------------------------------------------------------------


def test_a_milestone_at_100_is_completed_today_and_cleared_below(bj_official, regions) -> None:
    project = project_with(regions)
    milestone = svc.milestone_create(
        user=bj_official, project_id=project.pk, data={"title": "样机", "due_on": END, "progress": 40}
    )
    assert (milestone.position, milestone.completed_on) == (1, None)
    milestone = svc.milestone_update(user=bj_official, milestone_id=milestone.pk, changes={"progress": 100})
    assert milestone.completed_on == timezone.localdate()
    milestone = svc.milestone_update(user=bj_official, milestone_id=milestone.pk, changes={"progress": 80})
    assert milestone.completed_on is None


@pytest.mark.parametrize(("field", "value"), [("progress", 101), ("progress", -1), ("weight", 0), ("title", "")])
def test_it_names_a_bad_milestone_field(joint_office, regions, field, value) -> None:
    project = project_with(regions)
    values = {"title": "样机", "due_on": END} | {field: value}
    with pytest.raises(ValidationError) as exc:
        svc.milestone_create(user=joint_office, project_id=project.pk, data=values)
    assert fields_of(exc) == {field}
    assert not project.milestones.exists()


def test_milestone_positions_are_unique(joint_office, regions) -> None:
    project = project_with(regions, milestones=[(1, 0), (1, 0)])
    second = project.milestones.get(position=2)
    with pytest.raises(ValidationError) as exc:
        svc.milestone_update(user=joint_office, milestone_id=second.pk, changes={"position": 1})
    assert fields_of(exc) == {"position"}
    added = svc.milestone_create(user=joint_office, project_id=project.pk, data={"title": "验收", "due_on": END})
    assert added.position == 3


def test_milestones_of_an_accepted_project_are_frozen(joint_office, regions) -> None:
    project = project_with(regions, status="accepted", milestones=[(1, 100)], accepted_on=START)
    with pytest.raises(ValidationError) as exc:
        svc.milestone_delete(user=joint_office, milestone_id=project.milestones.get().pk)
    assert fields_of(exc) == {"project"}


def test_other_regions_cannot_touch_milestones(he_official, regions) -> None:
    project = project_with(regions, milestones=[(1, 0)])
    with pytest.raises(PermissionDenied):
        svc.milestone_delete(user=he_official, milestone_id=project.milestones.get().pk)
    assert project.milestones.count() == 1


# --- roll-ups -------------------------------------------------------------------------------------


def test_project_progress_is_weighted_by_milestone(regions) -> None:
    project = project_with(regions, milestones=[(1, 100), (3, 20)])  # (100 + 60) / 4 = 40
    empty = project_with(regions)
    progress = dict(sel.with_progress(pm.JointProject.objects.all()).values_list("code", "progress"))
    assert progress == {project.code: 40.0, empty.code: 0.0}


def test_batch_progress_is_the_mean_of_its_open_projects(regions) -> None:
    first, second = f.BatchFactory(number=1), f.BatchFactory(number=2)
    project_with(regions, batch=first, milestones=[(1, 100)])
    project_with(regions, batch=first, milestones=[(1, 50)])
    project_with(regions, batch=first, milestones=[(1, 0)], status="terminated")
    project_with(regions, batch=second, milestones=[(2, 30), (1, 0)])  # 20
    assert sel.batch_progress() == {first.pk: 75.0, second.pk: 20.0}


def test_bottleneck_progress_is_the_mean_of_the_projects_attacking_it(regions) -> None:
    shared, single = f.BottleneckFactory(), f.BottleneckFactory()
    one = project_with(regions, milestones=[(1, 80)])
    two = project_with(regions, milestones=[(1, 40), (1, 0)])  # 20
    one.bottlenecks.add(shared, single)
    two.bottlenecks.add(shared)
    assert sel.bottleneck_progress() == {shared.pk: 50.0, single.pk: 80.0}
