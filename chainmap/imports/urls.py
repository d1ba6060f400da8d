"""Pages of one area, included into the ``chainmap`` namespace by ``chainmap.urls``."""

from django.urls import path, re_path

from chainmap.imports import views as views_imports

urlpatterns = [
    path("imports/", views_imports.import_index, name="import_index"),
    path("imports/<int:pk>/", views_imports.import_job, name="import_job"),
    path("imports/<int:pk>/apply/", views_imports.import_apply, name="import_apply"),
    re_path(
        r"^imports/templates/(?P<kind>[a-z]+)\.(?P<file_format>xlsx|csv)$",
        views_imports.import_template,
        name="import_template",
    ),
    re_path(
        r"^exports/(?P<kind>[a-z]+)\.(?P<file_format>xlsx|csv)$", views_imports.export_download, name="export_download"
    ),
]
