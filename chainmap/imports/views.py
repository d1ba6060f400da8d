"""Import / export pages: upload, the job page with its preview and Apply button, downloads."""

from __future__ import annotations

import contextlib
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from chainmap.accounts import permissions
from chainmap.core.actors import Actor
from chainmap.imports.forms import ExportForm, ImportUploadForm
from chainmap.imports.models import ImportJobQuerySet
from chainmap.imports.services import exports, imports
from chainmap.models import ImportJob, ImportKind

RECENT_JOBS = 30


def _may_use(user: Actor) -> bool:
    return permissions.can_export(user=user) or permissions.can_import(user=user, kind=ImportKind.ENTERPRISES)


def _jobs_visible_to(user: Actor) -> ImportJobQuerySet:
    return ImportJob.objects.visible_to(user).select_related("uploader", "chain").defer("content", "preview", "errors")


def _download(file: exports.ExportFile) -> HttpResponse:
    response = HttpResponse(file.content, content_type=file.content_type)
    response["Content-Disposition"] = f'attachment; filename="{file.file_name}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_http_methods(["GET", "HEAD", "POST"])
def import_index(request: HttpRequest) -> HttpResponse:
    if not _may_use(request.user):
        raise PermissionDenied
    form = ImportUploadForm(request.POST or None, request.FILES or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        chain = data["chain"]
        try:
            job = imports.import_job_create(
                user=request.user,
                kind=data["kind"],
                chain_id=chain.pk if chain else None,
                file_name=data["file"].name,
                content=data["file"].read(),
                reason=data["reason"],
            )
        except ValidationError as exc:
            for field, messages in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, messages)
        else:
            return redirect("chainmap:import_job", pk=job.pk)
    jobs = list(_jobs_visible_to(request.user)[:RECENT_JOBS])
    kinds = [(value, label) for value, label in ImportKind.choices]
    return render(
        request,
        "chainmap/imports/index.html",
        {"form": form, "jobs": jobs, "kinds": kinds, "can_export": permissions.can_export(user=request.user)},
        status=400 if request.method == "POST" else 200,
    )


def _job_context(request: HttpRequest, job: ImportJob) -> dict[str, Any]:
    done, total = imports.import_progress(job)
    preview = job.preview or {}
    return {
        "job": job,
        "done": done,
        "total": total,
        "percent": int(done * 100 / total) if total else 100,
        "counts": preview.get("counts", {}),
        "changed_rows": [row for row in preview.get("rows", []) if row["action"] != "unchanged"],
        "unchanged_rows": [row for row in preview.get("rows", []) if row["action"] == "unchanged"],
        "unknown_headers": preview.get("unknown_headers", []),
        "can_apply": job.status == ImportJob.Status.PREVIEWED
        and not job.errors
        and permissions.can_apply_import(user=request.user, job=job),
    }


@require_safe
def import_job(request: HttpRequest, pk: int) -> HttpResponse:
    job = get_object_or_404(_jobs_visible_to(request.user).defer(None), pk=pk)
    context = _job_context(request, job)
    if request.headers.get("HX-Request") == "true":
        return render(request, "chainmap/imports/_job_body.html", context)
    return render(request, "chainmap/imports/job.html", context)


@require_POST
def import_apply(request: HttpRequest, pk: int) -> HttpResponse:
    job = get_object_or_404(_jobs_visible_to(request.user), pk=pk)
    if not permissions.can_apply_import(user=request.user, job=job):
        raise PermissionDenied
    # A job that cannot be applied (errors, already applied) is simply shown again, with the reason.
    with contextlib.suppress(ValidationError):
        imports.import_job_request_apply(job_id=job.pk, user=request.user)
    return redirect("chainmap:import_job", pk=job.pk)


@require_safe
def import_template(request: HttpRequest, kind: str, file_format: str) -> HttpResponse:
    if not _may_use(request.user):
        raise PermissionDenied
    try:
        return _download(exports.template_file(kind=kind, file_format=file_format))
    except ValidationError:
        raise Http404 from None


@require_safe
def export_download(request: HttpRequest, kind: str, file_format: str) -> HttpResponse:
    if kind not in ImportKind.values:
        raise Http404
    if not permissions.can_export(user=request.user):
        raise PermissionDenied
    form = ExportForm(request.GET, user=request.user)
    if not form.is_valid():
        raise Http404
    try:
        file = exports.export_file(
            kind=kind, user=request.user, chain=form.cleaned_data["chain"], file_format=file_format
        )
    except ValidationError as exc:
        return HttpResponse("; ".join(exc.messages), status=400, content_type="text/plain; charset=utf-8")
    return _download(file)
