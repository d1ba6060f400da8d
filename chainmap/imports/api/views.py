"""Spreadsheet import / export over the API: the same services and rules as the import pages.

A script uploads a file (multipart) to ``imports/``, reads the preview at ``imports/<id>/`` (polling
while ``status`` is pending or validating), then posts to ``imports/<id>/apply/``.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from chainmap.accounts import permissions
from chainmap.core.actors import Actor
from chainmap.imports.services import exports, imports
from chainmap.models import Chain, ImportJob, ImportKind


class ImportErrorSerializer(serializers.Serializer):
    row = serializers.IntegerField(allow_null=True, help_text="Spreadsheet row (1 = headers); null for the whole file.")
    column = serializers.CharField(allow_null=True, help_text="The column header the error is about.")
    message = serializers.CharField()


class ImportChangeSerializer(serializers.Serializer):
    column = serializers.CharField()
    before = serializers.CharField(allow_blank=True)
    after = serializers.CharField(allow_blank=True)


# The ``type: ignore[assignment]`` below: DRF's stubs type ``Field.label``, ``BaseSerializer.create`` /
# ``update`` and ``Serializer.errors``; a declared field of that name is popped from the class by
# SerializerMetaclass, so it never clashes at runtime (and the names are the API's).


class ImportRowSerializer(serializers.Serializer):
    row = serializers.IntegerField()
    key = serializers.CharField()
    label = serializers.CharField(allow_blank=True)  # type: ignore[assignment]  # see the note above
    action = serializers.ChoiceField(choices=["create", "update", "unchanged"])
    changes = ImportChangeSerializer(many=True)


class ImportCountsSerializer(serializers.Serializer):
    create = serializers.IntegerField()  # type: ignore[assignment]  # see the note above
    update = serializers.IntegerField()  # type: ignore[assignment]  # see the note above
    unchanged = serializers.IntegerField()
    error = serializers.IntegerField()


class ImportPreviewSerializer(serializers.Serializer):
    counts = ImportCountsSerializer(required=False)
    rows = ImportRowSerializer(many=True, required=False)
    unknown_headers = serializers.ListField(child=serializers.CharField(), required=False)
    total = serializers.IntegerField(required=False)


class ImportJobSerializer(serializers.ModelSerializer):
    uploader = serializers.CharField(source="uploader.get_username", read_only=True)
    chain: serializers.SlugRelatedField[Chain] = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    progress_done = serializers.SerializerMethodField()
    preview = ImportPreviewSerializer(read_only=True)
    errors = ImportErrorSerializer(many=True, read_only=True)  # type: ignore[assignment]  # see the note above
    can_apply = serializers.SerializerMethodField()

    class Meta:
        model = ImportJob
        fields = [
            "id",
            "kind",
            "chain",
            "file_name",
            "file_format",
            "reason",
            "status",
            "uploader",
            "progress_done",
            "progress_total",
            "preview",
            "errors",
            "can_apply",
            "created_at",
            "applied_at",
        ]
        read_only_fields = fields

    def get_progress_done(self, job: ImportJob) -> int:
        return imports.import_progress(job)[0]

    def get_can_apply(self, job: ImportJob) -> bool:
        user = self.context["request"].user
        return (
            job.status == ImportJob.Status.PREVIEWED
            and not job.errors
            and permissions.can_apply_import(user=user, job=job)
        )


class ImportJobListSerializer(ImportJobSerializer):
    class Meta(ImportJobSerializer.Meta):
        fields = [f for f in ImportJobSerializer.Meta.fields if f not in ("preview", "errors")]
        read_only_fields = fields


class ImportUploadSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=ImportKind.choices)
    chain = serializers.SlugRelatedField(
        slug_field="slug", queryset=Chain.objects.all(), required=False, allow_null=True, help_text="Chain slug."
    )
    file = serializers.FileField(help_text="XLSX or CSV (UTF-8, UTF-8 with BOM or GB18030).")
    reason = serializers.CharField(max_length=500, help_text="Recorded in the history of every row written.")


def _jobs(user: Actor) -> QuerySet[ImportJob]:
    return ImportJob.objects.visible_to(user).select_related("uploader", "chain").defer("content")


def _require_import_access(user: Actor) -> None:
    if not (permissions.can_export(user=user) or permissions.can_import(user=user, kind=ImportKind.ENTERPRISES)):
        raise PermissionDenied


class ImportJobListView(APIView):
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        operation_id="imports_list",
        summary="Recent import jobs (your own; the joint office sees all)",
        responses={200: ImportJobListSerializer(many=True)},
    )
    def get(self, request: Request) -> Response:
        _require_import_access(request.user)
        jobs = _jobs(request.user).defer("content", "preview", "errors")[:100]
        return Response(ImportJobListSerializer(jobs, many=True, context={"request": request}).data)

    @extend_schema(
        operation_id="imports_create",
        summary="Upload a spreadsheet: checked at once into a dry-run preview (large files: on a worker)",
        request={"multipart/form-data": ImportUploadSerializer},
        responses={
            201: ImportJobSerializer,
            400: OpenApiResponse(description="A field or the file is not valid (the error names it)."),
            403: OpenApiResponse(description="You may not import this kind of data into this chain."),
        },
    )
    def post(self, request: Request) -> Response:
        _require_import_access(request.user)
        upload = ImportUploadSerializer(data=request.data)
        upload.is_valid(raise_exception=True)
        data = upload.validated_data
        file = data["file"]
        job = imports.import_job_create(
            user=request.user,
            kind=data["kind"],
            chain_id=data["chain"].pk if data.get("chain") else None,
            file_name=file.name,
            content=file.read(),
            reason=data["reason"],
        )
        return Response(ImportJobSerializer(job, context={"request": request}).data, status=status.HTTP_201_CREATED)


class ImportJobDetailView(APIView):
    @extend_schema(
        operation_id="imports_retrieve",
        summary="An import job with its preview (creates / updates with before → after / unchanged) and row errors",
        responses={200: ImportJobSerializer, 404: OpenApiResponse(description="Not found.")},
    )
    def get(self, request: Request, pk: int) -> Response:
        job = get_object_or_404(_jobs(request.user), pk=pk)
        return Response(ImportJobSerializer(job, context={"request": request}).data)


class ImportJobApplyView(APIView):
    @extend_schema(
        operation_id="imports_apply",
        summary="Apply a previewed job without errors, all or nothing (large files: 202, then poll)",
        request=None,
        responses={
            200: ImportJobSerializer,
            202: ImportJobSerializer,
            400: OpenApiResponse(description="The job has errors or is not previewed."),
            403: OpenApiResponse(description="Only the uploader, still allowed to import it, may apply."),
            404: OpenApiResponse(description="Not found."),
        },
    )
    def post(self, request: Request, pk: int) -> Response:
        job = get_object_or_404(_jobs(request.user), pk=pk)
        job = imports.import_job_request_apply(job_id=job.pk, user=request.user)
        code = status.HTTP_202_ACCEPTED if job.status == ImportJob.Status.APPLYING else status.HTTP_200_OK
        return Response(ImportJobSerializer(job, context={"request": request}).data, status=code)


FILE_FORMAT = OpenApiParameter(
    "file_format", OpenApiTypes.STR, enum=["xlsx", "csv"], default="xlsx", description="xlsx (default) or csv."
)


def _file_response(file: exports.ExportFile) -> HttpResponse:
    response = HttpResponse(file.content, content_type=file.content_type)
    response["Content-Disposition"] = f'attachment; filename="{file.file_name}"'
    return response


class ExportView(APIView):
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "exports"

    @extend_schema(
        operation_id="exports_retrieve",
        summary="Export one kind as XLSX or CSV, in the import format (formulas escaped)",
        parameters=[
            OpenApiParameter("kind", OpenApiTypes.STR, OpenApiParameter.PATH, enum=list(ImportKind.values)),
            OpenApiParameter(
                "chain", OpenApiTypes.STR, description="Chain slug (required for nodes, edges, bottlenecks)."
            ),
            FILE_FORMAT,
        ],
        responses={
            (200, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"): OpenApiTypes.BINARY,
            (200, "text/csv"): OpenApiTypes.BINARY,
            400: OpenApiResponse(description="Missing chain or unknown format."),
            403: OpenApiResponse(description="Not allowed to export."),
            404: OpenApiResponse(description="Unknown kind or chain."),
        },
    )
    def get(self, request: Request, kind: str) -> HttpResponse:
        if kind not in ImportKind.values:
            raise Http404
        slug = request.query_params.get("chain")
        chain = get_object_or_404(Chain.objects.visible_to(request.user), slug=slug) if slug else None
        file_format = request.query_params.get("file_format", "xlsx")
        return _file_response(exports.export_file(kind=kind, user=request.user, chain=chain, file_format=file_format))


class ImportTemplateView(APIView):
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "exports"

    @extend_schema(
        operation_id="imports_template",
        summary="An empty import template with the column headers",
        parameters=[
            OpenApiParameter("kind", OpenApiTypes.STR, OpenApiParameter.PATH, enum=list(ImportKind.values)),
            FILE_FORMAT,
        ],
        responses={
            (200, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"): OpenApiTypes.BINARY,
            (200, "text/csv"): OpenApiTypes.BINARY,
            404: OpenApiResponse(description="Unknown kind."),
        },
    )
    def get(self, request: Request, kind: str) -> HttpResponse:
        if kind not in ImportKind.values:
            raise Http404
        _require_import_access(request.user)
        file_format = request.query_params.get("file_format", "xlsx")
        return _file_response(exports.template_file(kind=kind, file_format=file_format))


urlpatterns = [
    path("imports/", ImportJobListView.as_view(), name="import-list"),
    path("imports/templates/<str:kind>/", ImportTemplateView.as_view(), name="import-template"),
    path("imports/<int:pk>/", ImportJobDetailView.as_view(), name="import-detail"),
    path("imports/<int:pk>/apply/", ImportJobApplyView.as_view(), name="import-apply"),
    path("exports/<str:kind>/", ExportView.as_view(), name="export"),
]
