"""Pages: enterprises (included by chainmap/urls.py)."""

from django.urls import URLPattern, URLResolver, path

from chainmap import views_enterprises

urlpatterns: list[URLPattern | URLResolver] = [
    path("enterprises/<str:credit_code>/edit/", views_enterprises.enterprise_edit, name="enterprise_edit"),
]
