"""Pages of the projects app under /projects/ (namespace ``projects``)."""

from django.urls import URLPattern, URLResolver

from projects.challenges import urls as urls_challenges
from projects.joint import urls as urls_joint

app_name = "projects"

urlpatterns: list[URLPattern | URLResolver] = [*urls_challenges.urlpatterns, *urls_joint.urlpatterns]
