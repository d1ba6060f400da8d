"""Pages of one area, included into the ``chainmap`` namespace by ``chainmap.urls``."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
