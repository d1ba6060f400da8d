"""History pages, the chain as of a date, and the leadership calendar; included into the
``chainmap`` namespace by ``chainmap.urls``."""

from django.urls import URLPattern, path

from chainmap import views_history, views_leadership

urlpatterns: list[URLPattern] = [
    path("nodes/<str:code>/history/", views_history.node_history, name="history_node"),
    path("edges/<int:pk>/history/", views_history.edge_history, name="history_edge"),
    path("placements/<int:pk>/history/", views_history.placement_history, name="history_placement"),
    path("bottlenecks/<str:code>/history/", views_history.bottleneck_history, name="history_bottleneck"),
    path("terms/<int:pk>/history/", views_history.term_history, name="history_term"),
    path("chains/<slug:slug>/history/", views_history.chain_history, name="history_chain"),
    path("chains/<slug:slug>/as-of/", views_history.chain_as_of, name="chain_as_of"),
    path("leadership/", views_leadership.leadership, name="leadership"),
    path("leadership/terms/<int:pk>/edit/", views_leadership.term_edit, name="leadership_term_edit"),
    path("leadership/<slug:slug>/regenerate/", views_leadership.terms_regenerate, name="leadership_regenerate"),
]
