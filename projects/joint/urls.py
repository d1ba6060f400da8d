"""Pages of the projects app: joint projects, batches and milestones (included by projects/urls.py,
namespace ``projects``, under /projects/). Fixed words come before ``<code>``: codes are upper case."""

from django.urls import URLPattern, URLResolver, path

from projects.joint import views as views_joint

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views_joint.project_list, name="project_list"),
    path("new/", views_joint.project_create, name="project_create"),
    path("batches/new/", views_joint.batch_create, name="batch_create"),
    path("batches/<int:number>/edit/", views_joint.batch_edit, name="batch_edit"),
    path("milestones/<int:pk>/edit/", views_joint.milestone_edit, name="milestone_edit"),
    path("milestones/<int:pk>/delete/", views_joint.milestone_delete, name="milestone_delete"),
    path("<str:code>/", views_joint.project_detail, name="project_detail"),
    path("<str:code>/edit/", views_joint.project_edit, name="project_edit"),
    path("<str:code>/status/", views_joint.project_status, name="project_status"),
    path("<str:code>/milestones/new/", views_joint.milestone_create, name="milestone_create"),
]
