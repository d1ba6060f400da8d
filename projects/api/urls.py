"""Projects API under /api/ (namespace ``projects-api``), included by config/urls.py."""

from __future__ import annotations

from rest_framework.routers import SimpleRouter

from projects.challenges.api import views
from projects.joint.api import views as views_joint

app_name = "projects-api"

router = SimpleRouter(trailing_slash=True)
router.register("challenges", views.ChallengeViewSet, basename="challenge")
router.register("applications", views.ApplicationViewSet, basename="application")
router.register("projects", views_joint.JointProjectViewSet, basename="project")
router.register("milestones", views_joint.MilestoneViewSet, basename="milestone")
router.register("batches", views_joint.BatchViewSet, basename="batch")

urlpatterns = router.urls
