"""The chainmap REST API under /api/ (namespace ``api``): resources, schema and docs."""

from __future__ import annotations

import importlib.util

from csp.decorators import csp_update
from django.urls import URLPattern, URLResolver, include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView
from rest_framework.routers import DefaultRouter

from chainmap.api import errors, views

app_name = "api"


class Router(DefaultRouter):
    # The root view is not part of the documented API.
    include_root_view = False


router = Router(trailing_slash=True)
router.register("regions", views.RegionViewSet, basename="region")
router.register("chains", views.ChainViewSet, basename="chain")
router.register("clusters", views.ClusterViewSet, basename="cluster")
router.register("nodes", views.NodeViewSet, basename="node")
router.register("edges", views.EdgeViewSet, basename="edge")
router.register("enterprises", views.EnterpriseViewSet, basename="enterprise")
router.register("placements", views.PlacementViewSet, basename="placement")
router.register("profiles", views.ProfileViewSet, basename="profile")
router.register("offers", views.SupplyOfferViewSet, basename="offer")
router.register("needs", views.TechnologyNeedViewSet, basename="need")
router.register("leadership-terms", views.LeadershipTermViewSet, basename="leadership-term")
router.register("proposals", views.ProposalViewSet, basename="proposal")
router.register("bottlenecks", views.BottleneckViewSet, basename="bottleneck")
router.register("rounds", views.MatchingRoundViewSet, basename="round")
router.register("matches", views.MatchViewSet, basename="match")
router.register("reports", views.ReportViewSet, basename="report")
router.register("subscriptions", views.SubscriptionViewSet, basename="subscription")
router.register("calendar-entries", views.CalendarEntryViewSet, basename="calendar-entry")
router.register("deliveries", views.DeliveryViewSet, basename="delivery")
router.register("users", views.UserViewSet, basename="user")

# Spreadsheet import / export, written alongside (module-level ``urlpatterns``); wired when present.
import_patterns: list[URLPattern | URLResolver] = []
if importlib.util.find_spec("chainmap.api.imports") is not None:
    from chainmap.api import imports

    import_patterns = list(imports.urlpatterns)

# Node assessments (per-region levels), written alongside; wired when present.
assessment_patterns: list[URLPattern | URLResolver] = []
if importlib.util.find_spec("chainmap.api.assessments") is not None:
    from chainmap.api import assessments

    assessment_patterns = list(assessments.urlpatterns)

urlpatterns: list[URLPattern | URLResolver] = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # Swagger UI and ReDoc load their assets from drf-spectacular-sidecar's static files (no CDN).
    path("docs/", SpectacularSwaggerView.as_view(url_name="api:schema"), name="docs"),
    # ReDoc injects <style> elements at run time: this one page allows inline styles (scripts stay strict).
    path(
        "redoc/",
        csp_update({"style-src": ["'unsafe-inline'"]})(SpectacularRedocView.as_view(url_name="api:schema")),
        name="redoc",
    ),
    *import_patterns,
    *assessment_patterns,
    path("", include(router.urls)),
]

# Projects and challenges come from their own app (chainmap never imports projects): config/urls.py
# includes ``projects.api.urls`` under /api/ before the catch-all below.
catch_all = [re_path(r"^.*$", errors.not_found, name="not-found")]
