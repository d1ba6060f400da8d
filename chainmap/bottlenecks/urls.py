"""Pages: the bottleneck board, bottleneck pages and editor, node assessments (included by chainmap/urls.py)."""

from django.urls import URLPattern, URLResolver, path

from chainmap.bottlenecks import views as views_bottlenecks

urlpatterns: list[URLPattern | URLResolver] = [
    path("bottlenecks/", views_bottlenecks.bottleneck_list, name="bottleneck_list"),
    path("chains/<slug:slug>/bottlenecks/new/", views_bottlenecks.bottleneck_create, name="bottleneck_create"),
    path("bottlenecks/<str:code>/", views_bottlenecks.bottleneck_detail, name="bottleneck_detail"),
    path("bottlenecks/<str:code>/edit/", views_bottlenecks.bottleneck_edit, name="bottleneck_edit"),
    path("nodes/<str:code>/assessments/", views_bottlenecks.node_assessments_edit, name="node_assessments_edit"),
]
