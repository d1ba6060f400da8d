"""URLs of chain diagrams (SVG / PNG / PDF / DOT downloads)."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
