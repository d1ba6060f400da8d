"""Pages of the projects app: challenges (included by projects/urls.py, namespace ``projects``)."""

from django.urls import URLPattern, URLResolver, path

from projects.challenges import views

urlpatterns: list[URLPattern | URLResolver] = [
    path("challenges/", views.challenge_list, name="challenge_list"),
    path("challenges/new/", views.challenge_create, name="challenge_create"),
    path("challenges/applications/<int:pk>/withdraw/", views.application_withdraw, name="application_withdraw"),
    path("challenges/applications/<int:pk>/score/", views.application_score, name="application_score"),
    path("challenges/applications/<int:pk>/decide/", views.application_decide, name="application_decide"),
    path("challenges/<str:code>/", views.challenge_detail, name="challenge_detail"),
    path("challenges/<str:code>/edit/", views.challenge_edit, name="challenge_edit"),
    path("challenges/<str:code>/publish/", views.challenge_publish, name="challenge_publish"),
    path("challenges/<str:code>/start-review/", views.challenge_start_review, name="challenge_start_review"),
    path("challenges/<str:code>/award/", views.challenge_award, name="challenge_award"),
    path("challenges/<str:code>/close/", views.challenge_close, name="challenge_close"),
    path("challenges/<str:code>/phases/", views.challenge_phase_save, name="challenge_phase_save"),
    path("challenges/<str:code>/apply/", views.challenge_apply, name="challenge_apply"),
]
