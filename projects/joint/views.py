"""Pages of the joint R&D projects (区域联合攻关项目): batches with their projects and progress, the
project page, and the forms to launch, edit, move and track a project.

Projects are fetched over ``JointProject.objects.visible_to`` (every role; 404 otherwise); each
action is decided by ``projects.joint.permissions`` (403) and done by ``projects.joint.services``, whose
ValidationErrors come back on the form, naming the field. The write's input is the form's ``to_input()``
(what the API's serializer produces too), and the pre-checks are the services' ``check_*`` (what the API
calls too), so both answer the same 404 / 403 / 400.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from chainmap.core.http import refused
from projects.joint import permissions as rules
from projects.joint import selectors as selectors_joint
from projects.joint import services as service
from projects.joint.forms import (
    BatchForm,
    MilestoneForm,
    ParticipantFormSet,
    ProjectFilterForm,
    ProjectForm,
    StatusForm,
)
from projects.joint.models import Batch, JointProject, Milestone, ProjectStatus

if TYPE_CHECKING:
    from chainmap.models import Bottleneck


def _project_or_404(request: HttpRequest, code: str) -> JointProject:
    return get_object_or_404(
        JointProject.objects.visible_to(request.user).select_related("batch", "chain", "lead_region"),
        code=code.upper(),
    )


def _project_url(project: JointProject) -> str:
    return reverse("projects:project_detail", args=[project.code])


def _apply_errors(exc: ValidationError, form: Form, extra: list[str] | None = None) -> None:
    """A service's field errors onto the form; errors of fields the form lacks (participants) into ``extra``."""
    fields = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
    for field, errors in fields.items():
        for error in errors:
            if field in form.fields:
                form.add_error(field, error)
            elif extra is not None and field == "participants":
                extra.append(error)
            else:
                form.add_error(None, f"{field}: {error}" if field != "__all__" else error)


def _bottleneck_url(code: str, chain_slug: str | None) -> str | None:
    """The bottleneck's own page when the app has one, else its chain's page."""
    try:
        return reverse("chainmap:bottleneck_detail", args=[code])
    except NoReverseMatch:
        return reverse("chainmap:chain_detail", args=[chain_slug]) if chain_slug else None


# --- list and detail ----------------------------------------------------------------------------


@require_safe
def project_list(request: HttpRequest) -> HttpResponse:
    if not rules.can_view_projects(user=request.user):
        raise PermissionDenied
    form = ProjectFilterForm(data=request.GET)
    groups: list[selectors_joint.BatchGroup] = []
    if form.is_valid():
        projects = selectors_joint.project_list(user=request.user, **form.filters())
        batches = None if form.is_filtered() else Batch.objects.visible_to(request.user)
        groups = selectors_joint.project_groups(projects=projects, batches=batches)
    context = {
        "form": form,
        "groups": groups,
        "can_create": rules.can_create_project(user=request.user),
        "can_manage_batches": rules.can_manage_batches(user=request.user),
    }
    return render(request, "projects/joint/project_list.html", context)


@require_safe
def project_detail(request: HttpRequest, code: str) -> HttpResponse:
    project = selectors_joint.project_page(user=request.user, code=code.upper())
    if project is None:
        raise Http404
    can_edit = rules.can_edit_project(user=request.user, project=project)
    next_statuses = [
        (value, ProjectStatus(value).label)
        for value in service.TRANSITIONS[project.status]
        if rules.can_set_project_status(user=request.user, project=project, status=value)
    ]
    bottlenecks: list[Bottleneck] = list(project.bottlenecks.all())
    progress = selectors_joint.bottleneck_progress(bottleneck_ids=[b.pk for b in bottlenecks])
    for bottleneck in bottlenecks:
        # Read by the template only: no model attribute of that name.
        bottleneck.rollup = progress.get(bottleneck.pk)  # type: ignore[attr-defined]
        bottleneck.url = _bottleneck_url(bottleneck.code, bottleneck.chain.slug)  # type: ignore[attr-defined]
    context = {
        "project": project,
        "bottlenecks": bottlenecks,
        "can_edit": can_edit,
        "milestones_open": can_edit and project.status not in service.CLOSED,
        "status_form": StatusForm() if next_statuses else None,
        "next_statuses": next_statuses,
    }
    return render(request, "projects/joint/project_detail.html", context)


# --- projects -----------------------------------------------------------------------------------


def _project_form_page(
    request: HttpRequest, *, form: ProjectForm, formset: Any, project: JointProject | None, errors: list[str]
) -> HttpResponse:
    context = {"form": form, "formset": formset, "project": project, "participant_errors": errors}
    return render(request, "projects/joint/project_form.html", context)


@require_http_methods(["GET", "HEAD", "POST"])
def project_create(request: HttpRequest) -> HttpResponse:
    service.check_can_create_project(user=request.user)
    errors: list[str] = []
    if request.method != "POST":
        form = ProjectForm(user=request.user, creating=True, initial={"budget": 0})
        formset = ParticipantFormSet(prefix="participants")
        return _project_form_page(request, form=form, formset=formset, project=None, errors=errors)
    form = ProjectForm(data=request.POST, user=request.user, creating=True)
    formset = ParticipantFormSet(data=request.POST, prefix="participants")
    if form.is_valid() and formset.is_valid():
        try:
            project = service.project_create(user=request.user, data=form.to_input(formset))
        except ValidationError as exc:
            _apply_errors(exc, form, errors)
        else:
            messages.success(request, _("The project is launched."))
            return redirect(_project_url(project))
    errors.extend(str(error) for error in formset.non_form_errors())
    return _project_form_page(request, form=form, formset=formset, project=None, errors=errors)


@require_http_methods(["GET", "HEAD", "POST"])
def project_edit(request: HttpRequest, code: str) -> HttpResponse:
    project = _project_or_404(request, code)
    service.check_can_edit_project(user=request.user, project=project)
    errors: list[str] = []
    if request.method != "POST":
        initial = {
            "batch": project.batch,
            "title": project.title,
            "description": project.description,
            "chain": project.chain,
            "bottlenecks": list(project.bottlenecks.all()),
            "lead_region": project.lead_region,
            "budget": project.budget,
            "starts_on": project.starts_on,
            "ends_on": project.ends_on,
        }
        participants = [
            {
                "unit_name": p.unit_name,
                "region": p.region,
                "role": p.role,
                "enterprise": p.enterprise.credit_code if p.enterprise else "",
            }
            for p in project.participants.select_related("region", "enterprise")
        ]
        form = ProjectForm(user=request.user, creating=False, initial=initial)
        formset = ParticipantFormSet(prefix="participants", initial=participants)
        return _project_form_page(request, form=form, formset=formset, project=project, errors=errors)
    form = ProjectForm(data=request.POST, user=request.user, creating=False)
    formset = ParticipantFormSet(data=request.POST, prefix="participants")
    if form.is_valid() and formset.is_valid():
        try:
            service.project_update(user=request.user, project_id=project.pk, changes=form.to_input(formset))
        except ValidationError as exc:
            _apply_errors(exc, form, errors)
        else:
            messages.success(request, _("The project is saved."))
            return redirect(_project_url(project))
    errors.extend(str(error) for error in formset.non_form_errors())
    return _project_form_page(request, form=form, formset=formset, project=project, errors=errors)


@require_POST
def project_status(request: HttpRequest, code: str) -> HttpResponse:
    """The status buttons of the project page. A bad form or a refused move answers 400 with the
    reason and a link back, as the API answers the same case."""
    project = _project_or_404(request, code)
    service.check_can_edit_project(user=request.user, project=project)
    form = StatusForm(data=request.POST)
    back = _project_url(project)
    if not form.is_valid():
        text = " ".join(f"{form.fields[n].label}: {' '.join(str(m) for m in e)}" for n, e in form.errors.items())
        return refused(request, ValidationError(text), back=back)
    status = form.cleaned_data["status"]
    try:  # who may move it to that status: the service's (403)
        service.project_set_status(
            user=request.user, project_id=project.pk, status=status, accepted_on=form.cleaned_data["accepted_on"]
        )
    except ValidationError as exc:
        return refused(request, exc, back=back)
    messages.success(request, _("The project is now: %(status)s.") % {"status": ProjectStatus(status).label})
    return redirect(back)


# --- milestones ---------------------------------------------------------------------------------


def _milestone_or_404(request: HttpRequest, pk: int) -> Milestone:
    return get_object_or_404(Milestone.objects.visible_to(request.user).select_related("project"), pk=pk)


def _milestone_page(
    request: HttpRequest, *, form: MilestoneForm, project: JointProject, milestone: Any
) -> HttpResponse:
    context = {"form": form, "project": project, "milestone": milestone}
    return render(request, "projects/joint/milestone_form.html", context)


@require_http_methods(["GET", "HEAD", "POST"])
def milestone_create(request: HttpRequest, code: str) -> HttpResponse:
    project = _project_or_404(request, code)
    service.check_can_edit_project(user=request.user, project=project)
    if request.method != "POST":
        return _milestone_page(request, form=MilestoneForm(), project=project, milestone=None)
    form = MilestoneForm(data=request.POST)
    if form.is_valid():
        try:
            service.milestone_create(user=request.user, project_id=project.pk, data=form.to_input())
        except ValidationError as exc:
            _apply_errors(exc, form)
        else:
            messages.success(request, _("The milestone is added."))
            return redirect(_project_url(project))
    return _milestone_page(request, form=form, project=project, milestone=None)


@require_http_methods(["GET", "HEAD", "POST"])
def milestone_edit(request: HttpRequest, pk: int) -> HttpResponse:
    milestone = _milestone_or_404(request, pk)
    project = milestone.project
    service.check_can_edit_project(user=request.user, project=project)
    if request.method != "POST":
        initial = {k: getattr(milestone, k) for k in ("position", "title", "due_on", "weight", "progress")}
        return _milestone_page(request, form=MilestoneForm(initial=initial), project=project, milestone=milestone)
    form = MilestoneForm(data=request.POST)
    if form.is_valid():
        try:
            service.milestone_update(user=request.user, milestone_id=milestone.pk, changes=form.to_input())
        except ValidationError as exc:
            _apply_errors(exc, form)
        else:
            messages.success(request, _("The milestone is saved."))
            return redirect(_project_url(project))
    return _milestone_page(request, form=form, project=project, milestone=milestone)


@require_POST
def milestone_delete(request: HttpRequest, pk: int) -> HttpResponse:
    milestone = _milestone_or_404(request, pk)
    service.check_can_edit_project(user=request.user, project=milestone.project)
    try:
        service.milestone_delete(user=request.user, milestone_id=milestone.pk)
    except ValidationError as exc:  # 400 with the reason, as the API
        return refused(request, exc, back=_project_url(milestone.project))
    messages.success(request, _("The milestone is deleted."))
    return redirect(_project_url(milestone.project))


# --- batches ------------------------------------------------------------------------------------


def _batch_page(request: HttpRequest, *, form: BatchForm, batch: Batch | None) -> HttpResponse:
    return render(request, "projects/joint/batch_form.html", {"form": form, "batch": batch})


@require_http_methods(["GET", "HEAD", "POST"])
def batch_create(request: HttpRequest) -> HttpResponse:
    service.check_can_manage_batches(user=request.user)
    if request.method != "POST":
        return _batch_page(request, form=BatchForm(), batch=None)
    form = BatchForm(data=request.POST)
    if form.is_valid():
        try:
            service.batch_create(user=request.user, data=form.to_input())
        except ValidationError as exc:
            _apply_errors(exc, form)
        else:
            messages.success(request, _("The batch is launched."))
            return redirect("projects:project_list")
    return _batch_page(request, form=form, batch=None)


@require_http_methods(["GET", "HEAD", "POST"])
def batch_edit(request: HttpRequest, number: int) -> HttpResponse:
    batch = get_object_or_404(Batch.objects.visible_to(request.user), number=number)
    service.check_can_manage_batches(user=request.user)
    if request.method != "POST":
        initial = {k: getattr(batch, k) for k in ("number", "name", "launched_on", "description")}
        return _batch_page(request, form=BatchForm(initial=initial), batch=batch)
    form = BatchForm(data=request.POST)
    if form.is_valid():
        try:
            service.batch_update(user=request.user, batch_id=batch.pk, changes=form.to_input())
        except ValidationError as exc:
            _apply_errors(exc, form)
        else:
            messages.success(request, _("The batch is saved."))
            return redirect("projects:project_list")
    return _batch_page(request, form=form, batch=batch)
