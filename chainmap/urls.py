"""The pages of chainmap (namespace ``chainmap``): each area's own ``urls`` module, in one namespace."""

from django.urls import include, path

app_name = "chainmap"

urlpatterns = [
    path("", include("chainmap.maps.urls")),
    path("", include("chainmap.enterprises.urls")),
    path("", include("chainmap.leadership.urls")),
    path("", include("chainmap.matching.urls")),
    path("", include("chainmap.reports.urls")),
    path("", include("chainmap.imports.urls")),
    path("", include("chainmap.accounts.urls")),
    path("", include("chainmap.bottlenecks.urls")),
]
