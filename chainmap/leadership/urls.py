"""Pages of the leadership calendar (in the ``chainmap`` namespace, included by ``chainmap.urls``)."""

from django.urls import URLPattern, path

from chainmap.leadership import views as views_leadership

urlpatterns: list[URLPattern] = [
    path("leadership/", views_leadership.leadership, name="leadership"),
    path("leadership/terms/<int:pk>/edit/", views_leadership.term_edit, name="leadership_term_edit"),
    path("leadership/<slug:slug>/regenerate/", views_leadership.terms_regenerate, name="leadership_regenerate"),
]
