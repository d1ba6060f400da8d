"""Joint R&D projects (区域联合攻关项目), their batches and milestones: the writes.

Every service is keyword-only and atomic, checks the permission rule (``PermissionDenied``) and answers
bad input with a ``ValidationError`` naming the field, before writing anything. The rules they keep:

- a project joins units from at least two regions, exactly one of them the lead, whose region is the
  project's lead region (``lead_unit`` is the lead participant's name);
- the bottlenecks a project attacks belong to its chain when it has one;
- the status moves approved → in_progress → mid_term → completed → accepted, or to terminated from any
  open status; accepting needs a date and every milestone at 100 %;
- a milestone's ``completed_on`` is set the day its progress reaches 100 and cleared below; the
  milestones of an accepted or terminated project no longer change.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from chainmap.accounts import permissions
from chainmap.core.actors import Actor
from chainmap.core.inputs import UNSET, WriteInput
from chainmap.core.versions import version_check
from chainmap.models import Bottleneck, Chain, Enterprise, Region
from projects.joint import permissions as rules
from projects.joint.models import Batch, JointProject, Milestone, Participant, ProjectStatus

CODE_RE = re.compile(r"^[A-Z0-9][A-Z0-9_-]*$")
MAX_BUDGET = Decimal("9999999999.99")
MAX_SMALL = 32767
MAX_PARTICIPANTS = 30

# Legal next statuses; terminated is reachable from every open status.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    ProjectStatus.APPROVED: (ProjectStatus.IN_PROGRESS, ProjectStatus.TERMINATED),
    ProjectStatus.IN_PROGRESS: (ProjectStatus.MID_TERM, ProjectStatus.TERMINATED),
    ProjectStatus.MID_TERM: (ProjectStatus.COMPLETED, ProjectStatus.TERMINATED),
    ProjectStatus.COMPLETED: (ProjectStatus.ACCEPTED, ProjectStatus.TERMINATED),
    ProjectStatus.ACCEPTED: (),
    ProjectStatus.TERMINATED: (),
}
CLOSED = (ProjectStatus.ACCEPTED, ProjectStatus.TERMINATED)

InputT = TypeVar("InputT", bound=WriteInput)


# --- inputs: one per write, produced alike by the page's form and the API's serializer ----------


def participant_row(row: Mapping[str, Any]) -> dict[str, Any]:
    """A participant as the writers give it (``region`` / ``enterprise`` as models or ids, or already
    ``region_id`` / ``enterprise_id``) → the service's row; anything else is left for the checks."""
    if not isinstance(row, Mapping):
        return row
    region = row["region"] if "region" in row else row.get("region_id")
    enterprise = row["enterprise"] if "enterprise" in row else row.get("enterprise_id")
    return {
        "unit_name": row.get("unit_name"),
        "region_id": getattr(region, "pk", region),
        "role": row.get("role", Participant.Role.PARTICIPANT),
        "enterprise_id": getattr(enterprise, "pk", enterprise),
    }


@dataclass(frozen=True, kw_only=True)
class BatchInput(WriteInput):
    """A batch's fields: what ``BatchForm.to_input`` and ``BatchWriteSerializer.to_input`` produce."""

    number: int = UNSET
    name: str = UNSET
    launched_on: dt.date | None = UNSET
    description: str = UNSET


@dataclass(frozen=True, kw_only=True)
class ProjectInput(WriteInput):
    """A joint project's fields, in the service's names: what ``ProjectForm.to_input`` (with the
    participants' formset) and the API's ``ProjectUpdateSerializer.to_input`` produce. ``bottleneck_ids``
    and ``participants`` (rows of ``participant_row``) replace the whole set; ``code`` is given on
    creation only and never changes."""

    RELATIONS = {"batch": "batch_id", "chain": "chain_id", "lead_region": "lead_region_id"}
    MANY = {"bottlenecks": "bottleneck_ids"}

    code: str = UNSET
    batch_id: int = UNSET
    title: str = UNSET
    description: str = UNSET
    chain_id: int | None = UNSET
    lead_region_id: int = UNSET
    budget: Decimal | int | str = UNSET
    starts_on: dt.date = UNSET
    ends_on: dt.date = UNSET
    bottleneck_ids: list[int] = UNSET
    participants: list[dict[str, Any]] = UNSET

    @classmethod
    def from_data(cls: type[InputT], data: Mapping[str, Any]) -> InputT:
        values = dict(data)
        rows = values.get("participants")
        if isinstance(rows, list | tuple):
            values["participants"] = [participant_row(row) for row in rows]
        return super().from_data(values)


@dataclass(frozen=True, kw_only=True)
class MilestoneInput(WriteInput):
    """A milestone's fields: what ``MilestoneForm.to_input`` and ``MilestoneUpdateSerializer.to_input``
    produce. Without ``position`` a new milestone goes last and a changed one keeps its place."""

    position: int = UNSET
    title: str = UNSET
    due_on: dt.date = UNSET
    weight: int = UNSET
    progress: int = UNSET


PROJECT_FIELDS = tuple(name for name in ProjectInput.field_names() if name != "code")
MILESTONE_FIELDS = MilestoneInput.field_names()
BATCH_FIELDS = BatchInput.field_names()


# --- parsing helpers ----------------------------------------------------------------------------


def _max_length(model: type, field: str) -> int:
    return int(model._meta.get_field(field).max_length)  # type: ignore[attr-defined]


def _text(field: str, value: Any, limit: int, *, required: bool) -> str:
    if value is None and not required:
        return ""
    if not isinstance(value, str):
        raise ValidationError({field: _("Enter text.")})
    value = value.strip()
    if required and not value:
        raise ValidationError({field: _("This field is required.")})
    if len(value) > limit:
        message = _("Ensure this value has at most %(limit)d characters (it has %(n)d).")
        raise ValidationError({field: message % {"limit": limit, "n": len(value)}})
    if "\x00" in value:
        raise ValidationError({field: _("Null characters are not allowed.")})
    return value


def _date(field: str, value: Any, *, required: bool = True) -> dt.date | None:
    if value is None and not required:
        return None
    if not isinstance(value, dt.date) or isinstance(value, dt.datetime):
        raise ValidationError({field: _("Enter a valid date.")})
    return value


def _int(field: str, value: Any, *, minimum: int, maximum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError({field: _("Enter a whole number.")})
    if not minimum <= value <= maximum:
        message = _("Enter a number from %(min)d to %(max)d.")
        raise ValidationError({field: message % {"min": minimum, "max": maximum}})
    return value


def _budget(value: Any) -> Decimal:
    try:
        budget = Decimal(str(value))
    except (InvalidOperation, ValueError, TypeError):
        raise ValidationError({"budget": _("Enter a number.")}) from None
    if not budget.is_finite() or budget < 0 or budget > MAX_BUDGET:
        raise ValidationError({"budget": _("Enter an amount from 0 to 9,999,999,999.99 (10k CNY).")})
    return budget.quantize(Decimal("0.01"))


def _pk(field: str, value: Any, model: type, *, required: bool = True) -> Any:
    if value is None:
        if required:
            raise ValidationError({field: _("This field is required.")})
        return None
    obj = None
    if isinstance(value, int) and not isinstance(value, bool):
        obj = model.objects.filter(pk=value).first()  # type: ignore[attr-defined]
    if obj is None:
        raise ValidationError({field: _("Choose a valid option.")})
    return obj


def _first_error(exc: ValidationError, errors: dict[str, str]) -> None:
    for field, messages in exc.message_dict.items():
        errors.setdefault(field, messages[0])


def _require(allowed: bool, message: str) -> None:
    if not allowed:
        raise PermissionDenied(message)


# --- the permission checks the services make, which the pages and the API make alike before they read
# the input of a write (a user who may not write gets 403 whatever the input) ----------------------


def check_can_manage_batches(*, user: Actor) -> None:
    _require(rules.can_manage_batches(user=user), _("Only the joint office launches batches."))


def check_can_create_project(*, user: Actor) -> None:
    _require(rules.can_create_project(user=user), _("Only the joint office launches joint projects."))


def check_can_edit_project(*, user: Actor, project: JointProject) -> None:
    _require(
        rules.can_edit_project(user=user, project=project),
        _("Only the joint office and officials of a participating region edit this project."),
    )


# --- batches ------------------------------------------------------------------------------------


def _batch_values(values: dict[str, Any], *, batch_id: int | None) -> dict[str, Any]:
    errors: dict[str, str] = {}
    clean: dict[str, Any] = {}
    checks = {
        "number": lambda v: _int("number", v, minimum=1, maximum=MAX_SMALL),
        "name": lambda v: _text("name", v, _max_length(Batch, "name"), required=True),
        "launched_on": lambda v: _date("launched_on", v, required=False),
        "description": lambda v: _text("description", v, 4000, required=False),
    }
    for field, check in checks.items():
        if field not in values:
            continue
        try:
            clean[field] = check(values[field])
        except ValidationError as exc:
            _first_error(exc, errors)
    others = Batch.objects.all() if batch_id is None else Batch.objects.exclude(pk=batch_id)
    if "number" in clean and others.filter(number=clean["number"]).exists():
        errors["number"] = _("A batch with this number exists already.")
    if "name" in clean and others.filter(name=clean["name"]).exists():
        errors["name"] = _("A batch with this name exists already.")
    if errors:
        raise ValidationError(errors)
    return clean


@transaction.atomic
def batch_create(*, user: Actor, data: BatchInput | Mapping[str, Any]) -> Batch:
    """Launch a batch (第N批): the joint office. ``data`` gives its number and name at least (a mapping
    is read as ``BatchInput.from_data``)."""
    check_can_manage_batches(user=user)
    given = BatchInput.of(data)
    values = {
        "number": given.value("number", None),
        "name": given.value("name", None),
        "launched_on": given.value("launched_on", None),
        "description": given.value("description", ""),
    }
    return Batch.objects.create(**_batch_values(values, batch_id=None))


@transaction.atomic
def batch_update(*, user: Actor, batch_id: int, changes: BatchInput | Mapping[str, Any]) -> Batch:
    _require(rules.can_manage_batches(user=user), _("Only the joint office edits batches."))
    batch = Batch.objects.select_for_update().filter(pk=batch_id).first()
    if batch is None:
        raise ValidationError({"batch": _("This batch does not exist.")})
    for field, value in _batch_values(BatchInput.of(changes).given(), batch_id=batch.pk).items():
        setattr(batch, field, value)
    batch.save()
    return batch


# --- projects -----------------------------------------------------------------------------------


def _participants(rows: Any, errors: dict[str, str]) -> list[Participant]:
    """Participant rows (``unit_name``, ``region_id``, ``role``, optional ``enterprise_id``) → unsaved
    participants; the rules across rows (two regions, one lead) are checked by the caller."""
    if not isinstance(rows, list | tuple) or not rows:
        errors["participants"] = _("Add the participating units.")
        return []
    if len(rows) > MAX_PARTICIPANTS:
        errors["participants"] = _("A project has at most %(n)d participating units.") % {"n": MAX_PARTICIPANTS}
        return []
    regions = {region.pk: region for region in Region.objects.all()}
    enterprise_ids = [row.get("enterprise_id") for row in rows if isinstance(row, dict)]
    enterprises = Enterprise.objects.in_bulk(
        [pk for pk in enterprise_ids if isinstance(pk, int) and not isinstance(pk, bool)]
    )
    out: list[Participant] = []
    seen: set[str] = set()
    for index, row in enumerate(rows, start=1):
        if not isinstance(row, dict):
            errors["participants"] = _("Participant %(n)d is not valid.") % {"n": index}
            return []
        try:
            unit_name = _text(
                "participants", row.get("unit_name"), _max_length(Participant, "unit_name"), required=True
            )
        except ValidationError:
            errors["participants"] = _("Participant %(n)d: enter the unit's name (at most %(limit)d characters).") % {
                "n": index,
                "limit": _max_length(Participant, "unit_name"),
            }
            return []
        region = regions.get(row.get("region_id"))  # type: ignore[arg-type]
        if region is None:
            errors["participants"] = _("Participant %(n)d: choose the unit's region.") % {"n": index}
            return []
        role = row.get("role", Participant.Role.PARTICIPANT)
        if role not in Participant.Role.values:
            errors["participants"] = _("Participant %(n)d: choose lead or participant.") % {"n": index}
            return []
        enterprise = None
        if row.get("enterprise_id") is not None:
            enterprise = enterprises.get(row["enterprise_id"])
            if enterprise is None:
                errors["participants"] = _("Participant %(n)d: this enterprise does not exist.") % {"n": index}
                return []
            if enterprise.region_id != region.pk:
                errors["participants"] = _("Participant %(n)d: the enterprise is registered in another region.") % {
                    "n": index
                }
                return []
        key = unit_name.casefold()
        if key in seen:
            errors["participants"] = _("The unit %(name)s is listed twice.") % {"name": unit_name}
            return []
        seen.add(key)
        out.append(Participant(unit_name=unit_name, region=region, role=role, enterprise=enterprise))
    return out


def _check_participants(participants: list[Participant], lead_region: Region | None, errors: dict[str, str]) -> None:
    if not participants:
        return
    leads = [p for p in participants if p.role == Participant.Role.LEAD]
    if len(leads) != 1:
        errors["participants"] = _("Mark exactly one unit as the lead.")
    elif len({p.region_id for p in participants}) < 2:
        errors["participants"] = _("A joint project needs units from at least two regions.")
    elif lead_region is not None and leads[0].region_id != lead_region.pk:
        errors["lead_region"] = _("The lead unit %(unit)s is not in the lead region %(region)s.") % {
            "unit": leads[0].unit_name,
            "region": lead_region.name,
        }


def _bottlenecks(ids: Any, chain: Chain | None, errors: dict[str, str]) -> list[Bottleneck]:
    if ids is None:
        return []
    if not isinstance(ids, list | tuple | set) or not all(
        isinstance(pk, int) and not isinstance(pk, bool) for pk in ids
    ):
        errors["bottlenecks"] = _("Choose valid bottlenecks.")
        return []
    found = list(Bottleneck.objects.filter(pk__in=list(ids)).order_by("code"))
    if len(found) != len(set(ids)):
        errors["bottlenecks"] = _("Choose valid bottlenecks.")
        return []
    if chain is not None:
        foreign = [b.code for b in found if b.chain_id != chain.pk]
        if foreign:
            errors["bottlenecks"] = _("Bottlenecks %(codes)s are not on the chain %(chain)s.") % {
                "codes": ", ".join(foreign),
                "chain": chain.name,
            }
    return found


def _project_values(values: dict[str, Any], *, project: JointProject | None, errors: dict[str, str]) -> dict[str, Any]:
    """Check the plain fields present in ``values`` → clean values (model field names)."""
    clean: dict[str, Any] = {}
    checks: dict[str, Any] = {
        "batch_id": ("batch", lambda v: _pk("batch", v, Batch)),
        "title": ("title", lambda v: _text("title", v, _max_length(JointProject, "title"), required=True)),
        "description": ("description", lambda v: _text("description", v, 4000, required=False)),
        "chain_id": ("chain", lambda v: _pk("chain", v, Chain, required=False)),
        "lead_region_id": ("lead_region", lambda v: _pk("lead_region", v, Region)),
        "budget": ("budget", _budget),
        "starts_on": ("starts_on", lambda v: _date("starts_on", v)),
        "ends_on": ("ends_on", lambda v: _date("ends_on", v)),
    }
    for key, (field, check) in checks.items():
        if key not in values:
            continue
        try:
            clean[field] = check(values[key])
        except ValidationError as exc:
            _first_error(exc, errors)
    starts_on = clean.get("starts_on", project.starts_on if project else None)
    ends_on = clean.get("ends_on", project.ends_on if project else None)
    if starts_on and ends_on and ends_on < starts_on and "ends_on" not in errors and "starts_on" not in errors:
        errors["ends_on"] = _("The project cannot end before it starts.")
    batch = clean.get("batch", project.batch if project else None)
    title = clean.get("title", project.title if project else None)
    if batch is not None and title and ("batch" in clean or "title" in clean):
        duplicates = JointProject.objects.filter(batch=batch, title=title)
        if project is not None:
            duplicates = duplicates.exclude(pk=project.pk)
        if duplicates.exists():
            errors["title"] = _("The batch already has a project with this title.")
    return clean


def _save_relations(
    project: JointProject, *, participants: list[Participant] | None, bottlenecks: list[Bottleneck] | None
) -> None:
    if participants is not None:
        project.participants.all().delete()
        for participant in participants:
            participant.project = project
        Participant.objects.bulk_create(participants)
    if bottlenecks is not None:
        project.bottlenecks.set(bottlenecks)


def _lead_unit(participants: Iterable[Participant]) -> str:
    return next(p.unit_name for p in participants if p.role == Participant.Role.LEAD)


@transaction.atomic
def project_create(*, user: Actor, data: ProjectInput | Mapping[str, Any]) -> JointProject:
    """Launch a joint project with its participants (the lead among them) and the bottlenecks it attacks.
    ``data`` (a mapping is read as ``ProjectInput.from_data``) gives at least the code, batch, title,
    lead region, dates and participants; the budget defaults to 0, no chain, no bottleneck."""
    check_can_create_project(user=user)
    given = ProjectInput.of(data)
    code = given.value("code", None)
    participants = given.value("participants", None)
    bottleneck_ids = given.value("bottleneck_ids", [])
    errors: dict[str, str] = {}
    try:
        code = _text("code", code, _max_length(JointProject, "code"), required=True).upper()
        if not CODE_RE.match(code):
            errors["code"] = _("Use letters, digits, hyphens and underscores only.")
        elif JointProject.objects.filter(code=code).exists():
            errors["code"] = _("A project with this code exists already.")
    except ValidationError as exc:
        _first_error(exc, errors)
    values = {
        "batch_id": given.value("batch_id", None),
        "title": given.value("title", None),
        "description": given.value("description", ""),
        "chain_id": given.value("chain_id", None),
        "lead_region_id": given.value("lead_region_id", None),
        "budget": given.value("budget", 0),
        "starts_on": given.value("starts_on", None),
        "ends_on": given.value("ends_on", None),
    }
    clean = _project_values(values, project=None, errors=errors)
    rows = _participants(participants, errors)
    _check_participants(rows, clean.get("lead_region"), errors)
    found = _bottlenecks(list(bottleneck_ids or ()), clean.get("chain"), errors)
    if errors:
        raise ValidationError(errors)
    project = JointProject.objects.create(code=code, lead_unit=_lead_unit(rows), **clean)
    _save_relations(project, participants=rows, bottlenecks=found)
    return project


@transaction.atomic
def project_update(
    *,
    user: Actor,
    project_id: int,
    changes: ProjectInput | Mapping[str, Any],
    expected_version: int | None = None,
) -> JointProject:
    """Change a project's fields (those ``changes`` gives; a mapping is read as ``ProjectInput.from_data``);
    ``bottleneck_ids`` and ``participants`` replace the whole set; the code never changes. A stale
    ``expected_version`` raises ConflictError and writes nothing."""
    project = (
        JointProject.objects.select_for_update(of=("self",))
        .select_related("batch", "chain", "lead_region")
        .filter(pk=project_id)
        .first()
    )
    if project is None:
        raise ValidationError({"project": _("This project does not exist.")})
    check_can_edit_project(user=user, project=project)
    version_check(project, expected_version)
    if not isinstance(changes, ProjectInput):
        unknown = set(changes) - set(PROJECT_FIELDS) - set(ProjectInput.RELATIONS) - set(ProjectInput.MANY)
        if unknown:
            raise ValidationError({sorted(unknown)[0]: _("This field cannot be changed.")})
    changes = ProjectInput.of(changes).given()
    if "code" in changes:
        raise ValidationError({"code": _("This field cannot be changed.")})
    errors: dict[str, str] = {}
    clean = _project_values(changes, project=project, errors=errors)
    lead_region = clean.get("lead_region", project.lead_region)
    chain = clean.get("chain", project.chain)
    if "participants" in changes:
        rows: list[Participant] | None = _participants(changes["participants"], errors)
    else:
        rows = None
    if rows is not None:
        _check_participants(rows, lead_region, errors)
    elif "lead_region" in clean:
        current = list(project.participants.all())
        _check_participants(current, lead_region, errors)
    if "bottleneck_ids" in changes:
        found: list[Bottleneck] | None = _bottlenecks(changes["bottleneck_ids"], chain, errors)
    else:
        found = None
        if "chain" in clean and chain is not None:
            _bottlenecks(list(project.bottlenecks.values_list("pk", flat=True)), chain, errors)
    if errors:
        raise ValidationError(errors)
    for field, value in clean.items():
        setattr(project, field, value)
    if rows is not None:
        project.lead_unit = _lead_unit(rows)
    project.version += 1
    project.save()
    _save_relations(project, participants=rows, bottlenecks=found)
    return project


@transaction.atomic
def project_set_status(
    *, user: Actor, project_id: int, status: str, accepted_on: dt.date | None = None
) -> JointProject:
    """Move a project to its next status. Only legal transitions; ``accepted`` needs ``accepted_on``
    (not in the future, not before the start) and every milestone at 100 %."""
    project = JointProject.objects.select_for_update().filter(pk=project_id).first()
    if project is None:
        raise ValidationError({"project": _("This project does not exist.")})
    if status not in ProjectStatus.values:
        raise ValidationError({"status": _("Choose a valid status.")})
    _require(
        rules.can_set_project_status(user=user, project=project, status=status),
        _("Only the joint office accepts or terminates a project; participating regions move it along."),
    )
    if status not in TRANSITIONS[project.status]:
        raise ValidationError(
            {
                "status": _("A project cannot go from %(old)s to %(new)s.")
                % {"old": ProjectStatus(project.status).label, "new": ProjectStatus(status).label}
            }
        )
    if status == ProjectStatus.ACCEPTED:
        accepted_on = _date("accepted_on", accepted_on, required=False)
        if accepted_on is None:
            raise ValidationError({"accepted_on": _("Enter the date of the acceptance.")})
        if accepted_on > permissions.today():
            raise ValidationError({"accepted_on": _("The acceptance date cannot be in the future.")})
        if accepted_on < project.starts_on:
            raise ValidationError({"accepted_on": _("The acceptance date cannot be before the project starts.")})
        milestones = list(project.milestones.values_list("progress", flat=True))
        if not milestones or any(progress < 100 for progress in milestones):
            raise ValidationError({"status": _("A project is accepted only when all its milestones are complete.")})
        project.accepted_on = accepted_on
    project.status = status
    project.version += 1
    project.save(update_fields=["status", "accepted_on", "version", "updated_at"])
    return project


# --- milestones ---------------------------------------------------------------------------------


def _open_project(*, user: Actor, project_id: int) -> JointProject:
    project = JointProject.objects.select_for_update().filter(pk=project_id).first()
    if project is None:
        raise ValidationError({"project": _("This project does not exist.")})
    _require(
        rules.can_edit_project(user=user, project=project),
        _("Only the joint office and officials of a participating region change this project's milestones."),
    )
    if project.status in CLOSED:
        raise ValidationError({"project": _("The milestones of an accepted or terminated project no longer change.")})
    return project


def _milestone_changed(project: JointProject) -> None:
    """A milestone is part of its project (its progress rolls up): the project's ETag moves too."""
    project.version += 1
    project.save(update_fields=["version", "updated_at"])


def _locked_milestone(*, user: Actor, milestone_id: int, expected_version: int | None) -> Milestone:
    """The milestone and its open project, locked project first (the order every project write takes)."""
    project_id = Milestone.objects.filter(pk=milestone_id).values_list("project_id", flat=True).first()
    if project_id is None:
        raise ValidationError({"milestone": _("This milestone does not exist.")})
    project = _open_project(user=user, project_id=project_id)
    milestone = Milestone.objects.select_for_update().filter(pk=milestone_id, project=project).first()
    if milestone is None:
        raise ValidationError({"milestone": _("This milestone does not exist.")})
    version_check(milestone, expected_version)
    milestone.project = project
    return milestone


def _milestone_values(values: dict[str, Any], *, project: JointProject, milestone_id: int | None) -> dict[str, Any]:
    errors: dict[str, str] = {}
    clean: dict[str, Any] = {}
    checks = {
        "position": lambda v: _int("position", v, minimum=1, maximum=MAX_SMALL),
        "title": lambda v: _text("title", v, _max_length(Milestone, "title"), required=True),
        "due_on": lambda v: _date("due_on", v),
        "weight": lambda v: _int("weight", v, minimum=1, maximum=MAX_SMALL),
        "progress": lambda v: _int("progress", v, minimum=0, maximum=100),
    }
    for field, check in checks.items():
        if field not in values:
            continue
        try:
            clean[field] = check(values[field])
        except ValidationError as exc:
            _first_error(exc, errors)
    if "position" in clean:
        taken = project.milestones.filter(position=clean["position"])
        if milestone_id is not None:
            taken = taken.exclude(pk=milestone_id)
        if taken.exists():
            errors["position"] = _("Another milestone of this project has position %(n)d.") % {"n": clean["position"]}
    if errors:
        raise ValidationError(errors)
    return clean


def _complete(milestone: Milestone) -> None:
    """``completed_on``: the day progress reached 100, kept while it stays there."""
    if milestone.progress == 100:
        milestone.completed_on = milestone.completed_on or permissions.today()
    else:
        milestone.completed_on = None


@transaction.atomic
def milestone_create(*, user: Actor, project_id: int, data: MilestoneInput | Mapping[str, Any]) -> Milestone:
    """Add a milestone (``data`` gives its title and due date at least; a mapping is read as
    ``MilestoneInput.from_data``); weight 1 and progress 0 unless given; without ``position`` it goes last."""
    project = _open_project(user=user, project_id=project_id)
    given = MilestoneInput.of(data)
    values: dict[str, Any] = {
        "title": given.value("title", None),
        "due_on": given.value("due_on", None),
        "weight": given.value("weight", 1),
        "progress": given.value("progress", 0),
    }
    if given.value("position", None) is not None:
        values["position"] = given.position
    clean = _milestone_values(values, project=project, milestone_id=None)
    if "position" not in clean:
        last = project.milestones.aggregate(last=Max("position"))["last"] or 0
        if last >= MAX_SMALL:
            raise ValidationError({"position": _("This project has no free position left.")})
        clean["position"] = last + 1
    milestone = Milestone(project=project, **clean)
    _complete(milestone)
    milestone.save()
    _milestone_changed(project)
    return milestone


@transaction.atomic
def milestone_update(
    *,
    user: Actor,
    milestone_id: int,
    changes: MilestoneInput | Mapping[str, Any],
    expected_version: int | None = None,
) -> Milestone:
    """Change a milestone (the fields ``changes`` gives; a mapping is read as ``MilestoneInput.from_data``);
    a stale ``expected_version`` raises ConflictError and writes nothing."""
    milestone = _locked_milestone(user=user, milestone_id=milestone_id, expected_version=expected_version)
    project = milestone.project
    if not isinstance(changes, MilestoneInput):
        unknown = set(changes) - set(MILESTONE_FIELDS)
        if unknown:
            raise ValidationError({sorted(unknown)[0]: _("This field cannot be changed.")})
    given = MilestoneInput.of(changes).given()
    for field, value in _milestone_values(given, project=project, milestone_id=milestone.pk).items():
        setattr(milestone, field, value)
    _complete(milestone)
    milestone.version += 1
    milestone.save()
    _milestone_changed(project)
    return milestone


@transaction.atomic
def milestone_delete(*, user: Actor, milestone_id: int, expected_version: int | None = None) -> None:
    milestone = _locked_milestone(user=user, milestone_id=milestone_id, expected_version=expected_version)
    milestone.delete()
    _milestone_changed(milestone.project)
