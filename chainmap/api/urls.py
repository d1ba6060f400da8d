"""The chainmap REST API under /api/ (namespace ``api``): resources, schema and docs."""

from __future__ import annotations

import importlib.util

from csp.decorators import csp_update
from django.urls import URLPattern, URLResolver, include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView
from rest_framework.routers import DefaultRouter

from chainmap.accounts.api import views as accounts_views
from chainmap.bottlenecks.api import views as bottlenecks_views
from chainmap.core.api import errors
from chainmap.enterprises.api import views as enterprises_views
from chainmap.leadership.api import views as leadership_views
from chainmap.maps.api import views as maps_views
from chainmap.matching.api import views as matching_views
from chainmap.reports.api import views as reports_views

app_name = "api"


class Router(DefaultRouter):
    # The root view is not part of the documented API.
    include_root_view = False


router = Router(trailing_slash=True)
router.register("regions", maps_views.RegionViewSet, basename="region")
router.register("chains", maps_views.ChainViewSet, basename="chain")
router.register("clusters", maps_views.ClusterViewSet, basename="cluster")
router.register("nodes", maps_views.NodeViewSet, basename="node")
router.register("edges", maps_views.EdgeViewSet, basename="edge")
router.register("enterprises", enterprises_views.EnterpriseViewSet, basename="enterprise")
router.register("placements", enterprises_views.PlacementViewSet, basename="placement")
router.register("profiles", enterprises_views.ProfileViewSet, basename="profile")
router.register("offers", enterprises_views.SupplyOfferViewSet, basename="offer")
router.register("needs", enterprises_views.TechnologyNeedViewSet, basename="need")
router.register("leadership-terms", leadership_views.LeadershipTermViewSet, basename="leadership-term")
router.register("proposals", maps_views.ProposalViewSet, basename="proposal")
router.register("bottlenecks", bottlenecks_views.BottleneckViewSet, basename="bottleneck")
router.register("rounds", matching_views.MatchingRoundViewSet, basename="round")
router.register("matches", matching_views.MatchViewSet, basename="match")
router.register("reports", reports_views.ReportViewSet, basename="report")
router.register("subscriptions", reports_views.SubscriptionViewSet, basename="subscription")
router.register("calendar-entries", matching_views.CalendarEntryViewSet, basename="calendar-entry")
router.register("deliveries", reports_views.DeliveryViewSet, basename="delivery")
router.register("users", accounts_views.UserViewSet, basename="user")

# Spreadsheet import / export, written alongside (module-level ``urlpatterns``); wired when present.
import_patterns: list[URLPattern | URLResolver] = []
if importlib.util.find_spec("chainmap.imports.api.views") is not None:
    from chainmap.imports.api import views as imports

    import_patterns = list(imports.urlpatterns)

# Node assessments (per-region levels), written alongside; wired when present.
assessment_patterns: list[URLPattern | URLResolver] = []
if importlib.util.find_spec("chainmap.maps.api.assessments") is not None:
    from chainmap.maps.api import assessments

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
