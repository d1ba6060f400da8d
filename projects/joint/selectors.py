"""Reads of joint projects: visibility and the progress roll-up, each level in one query.

Progress rolls up milestone → project → batch → bottleneck:

- a **project**'s progress is the weighted mean of its milestones, Σ(weight·progress) / Σweight, the
  formula the monthly report uses (``report_section_rows``); 0 without milestones;
- a **batch**'s progress is the plain mean of its projects' progress. Budgets differ by an order of
  magnitude between projects, and a budget-weighted figure would let one large project hide many
  stalled small ones; each project is one commitment of the batch, so each counts once;
- a **bottleneck**'s progress is the mean progress of the projects attacking it.

Terminated projects are left out of the batch and bottleneck figures: their progress stops where they
were stopped and no longer says anything about the batch or the bottleneck.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import (
    Avg,
    Exists,
    F,
    FloatField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Cast, Coalesce

from chainmap.core.actors import Actor
from projects.joint.models import Batch, JointProject, Milestone, Participant, ProjectStatus


def _weighted_progress() -> Coalesce:
    """Σ(weight·progress) / Σweight of the outer project's milestones, as a float (0 without any)."""
    milestones = Milestone.objects.filter(project_id=OuterRef("pk")).order_by().values("project_id")
    ratio = milestones.annotate(
        ratio=Cast(Sum(F("weight") * F("progress")), FloatField()) / Cast(Sum("weight"), FloatField())
    ).values("ratio")
    return Coalesce(Subquery(ratio, output_field=FloatField()), Value(0.0), output_field=FloatField())


def with_progress(projects: QuerySet[JointProject]) -> QuerySet[JointProject]:
    """Annotate ``progress`` (weighted milestone %, float)."""
    return projects.annotate(progress=_weighted_progress())


def batch_progress(*, batch_ids: list[int] | None = None) -> dict[int, float]:
    """batch id → mean progress of its projects (terminated ones left out), one query."""
    projects = with_progress(JointProject.objects.exclude(status=ProjectStatus.TERMINATED))
    if batch_ids is not None:
        projects = projects.filter(batch_id__in=batch_ids)
    rows = projects.order_by().values("batch_id").annotate(mean=Avg("progress")).values_list("batch_id", "mean")
    return {batch_id: round(mean or 0.0, 1) for batch_id, mean in rows}


def bottleneck_progress(*, bottleneck_ids: list[int] | None = None) -> dict[int, float]:
    """bottleneck id → mean progress of the projects attacking it (terminated ones left out), one query."""
    through = JointProject.bottlenecks.through
    links = through.objects.exclude(jointproject__status=ProjectStatus.TERMINATED)
    if bottleneck_ids is not None:
        links = links.filter(bottleneck_id__in=bottleneck_ids)
    milestones = Milestone.objects.filter(project_id=OuterRef("jointproject_id")).order_by().values("project_id")
    ratio = milestones.annotate(
        ratio=Cast(Sum(F("weight") * F("progress")), FloatField()) / Cast(Sum("weight"), FloatField())
    ).values("ratio")
    # Rows as dicts: the same two columns as a values_list(), which django-stubs cannot check here (it
    # does not record annotations made on an auto-created through model).
    rows = (
        links.annotate(progress=Coalesce(Subquery(ratio, output_field=FloatField()), Value(0.0)))
        .order_by()
        .values("bottleneck_id")
        .annotate(mean=Avg("progress"))
    )
    return {row["bottleneck_id"]: round(row["mean"] or 0.0, 1) for row in rows}


# --- pages --------------------------------------------------------------------------------------


@dataclass
class BatchGroup:
    batch: Batch
    progress: float | None
    projects: list[JointProject] = field(default_factory=list)


def project_list(
    *,
    user: Actor,
    batch: Batch | None = None,
    chain_id: int | None = None,
    region_id: int | None = None,
    status: str | None = None,
) -> QuerySet[JointProject]:
    """The visible projects with their progress, filtered; ``region_id`` keeps projects with a
    participating unit of that region."""
    projects = JointProject.objects.visible_to(user)
    if batch is not None:
        projects = projects.filter(batch=batch)
    if chain_id is not None:
        projects = projects.filter(chain_id=chain_id)
    if region_id is not None:
        projects = projects.filter(Exists(Participant.objects.filter(project_id=OuterRef("pk"), region_id=region_id)))
    if status:
        projects = projects.filter(status=status)
    return (
        with_progress(projects)
        .select_related("batch", "chain", "lead_region")
        .prefetch_related("bottlenecks")
        .order_by("batch__number", "code")
    )


def project_groups(*, projects: QuerySet[JointProject], batches: QuerySet[Batch] | None = None) -> list[BatchGroup]:
    """The projects grouped by batch, each batch with its roll-up over all its projects (not only the
    filtered ones). With ``batches`` (an unfiltered list), batches without projects are listed too."""
    rows = list(projects)
    listed = list(batches) if batches is not None else []
    batch_ids = sorted({project.batch_id for project in rows} | {batch.pk for batch in listed})
    progress = batch_progress(batch_ids=batch_ids)
    groups = {batch.pk: BatchGroup(batch=batch, progress=progress.get(batch.pk)) for batch in listed}
    for project in rows:
        group = groups.get(project.batch_id)
        if group is None:
            group = groups[project.batch_id] = BatchGroup(batch=project.batch, progress=progress.get(project.batch_id))
        group.projects.append(project)
    return sorted(groups.values(), key=lambda group: group.batch.number)


def project_page(*, user: Actor, code: str) -> JointProject | None:
    """One visible project with its progress, participants, bottlenecks (and their chains) and milestones."""
    return (
        with_progress(JointProject.objects.visible_to(user))
        .select_related("batch", "chain", "lead_region")
        .prefetch_related(
            Prefetch("participants", queryset=Participant.objects.select_related("region", "enterprise")),
            Prefetch("milestones", queryset=Milestone.objects.order_by("position")),
            "bottlenecks__chain",
        )
        .filter(code=code)
        .first()
    )


def projects_on_bottleneck(bottleneck_id: int) -> int:
    """How many joint projects attack the bottleneck (shown on chainmap's bottleneck page)."""
    return JointProject.objects.filter(bottlenecks=bottleneck_id).count()


def report_section_rows(chain_ids: list[int]) -> list[dict[str, Any]]:
    """The round report's joint-projects section (registered in ``chainmap.core.extensions``): the
    projects on the chains (directly or through a bottleneck they attack), batch then code, each with
    its weighted milestone progress rounded to 0.1 (0 without milestones)."""
    ids = set(
        JointProject.objects.filter(Q(chain_id__in=chain_ids) | Q(bottlenecks__chain_id__in=chain_ids)).values_list(
            "pk", flat=True
        )
    )
    progress = {
        row["project_id"]: (row["done"] or 0) / row["total_weight"] if row["total_weight"] else 0.0
        for row in Milestone.objects.filter(project_id__in=ids)
        .values("project_id")
        .annotate(total_weight=Sum("weight"), done=Sum(F("weight") * F("progress")))
        .order_by()
    }
    return [
        {
            "code": code,
            "title": title,
            "batch": batch,
            "status": status,
            "lead_unit": lead_unit,
            "lead_region": lead_region,
            "progress": round(progress.get(pk, 0.0), 1),
        }
        for pk, code, title, batch, status, lead_unit, lead_region in JointProject.objects.filter(pk__in=ids)
        .order_by("batch__number", "code")
        .values_list("pk", "code", "title", "batch__name", "status", "lead_unit", "lead_region__code")
    ]


def report_status_labels() -> dict[str, str]:
    """The project statuses' labels in the active language, for the report's section."""
    return {str(value): str(label) for value, label in ProjectStatus.choices}
