"""Pages of the chain maps: the dashboard, chains, nodes, map editing, change proposals, history and
the chain as of a date (in the ``chainmap`` namespace, included by ``chainmap.urls``)."""

from django.urls import URLPattern, path

from chainmap.maps.views import edit as views_edit
from chainmap.maps.views import history as views_history
from chainmap.maps.views import pages as views

urlpatterns: list[URLPattern] = [
    path("", views.dashboard, name="dashboard"),
    path("chains/", views.chain_list, name="chain_list"),
    path("chains/<slug:slug>/", views.chain_detail, name="chain_detail"),
    path("nodes/<str:code>/", views.node_detail, name="node_detail"),
    path("chains/<slug:slug>/nodes/new/", views_edit.node_create, name="node_create"),
    path("chains/<slug:slug>/edges/new/", views_edit.edge_create, name="edge_create"),
    path("nodes/<str:code>/edit/", views_edit.node_edit, name="node_edit"),
    path("nodes/<str:code>/delete/", views_edit.node_delete, name="node_delete"),
    path("edges/<int:pk>/delete/", views_edit.edge_delete, name="edge_delete"),
    path("proposals/", views_edit.proposal_list, name="proposal_list"),
    path("proposals/<int:pk>/", views_edit.proposal_detail, name="proposal_detail"),
    path("proposals/<int:pk>/approve/", views_edit.proposal_approve, name="proposal_approve"),
    path("proposals/<int:pk>/reject/", views_edit.proposal_reject, name="proposal_reject"),
    path("proposals/<int:pk>/withdraw/", views_edit.proposal_withdraw, name="proposal_withdraw"),
    path("proposals/<int:pk>/revert/", views_edit.proposal_revert, name="proposal_revert"),
    path("nodes/<str:code>/history/", views_history.node_history, name="history_node"),
    path("edges/<int:pk>/history/", views_history.edge_history, name="history_edge"),
    path("placements/<int:pk>/history/", views_history.placement_history, name="history_placement"),
    path("bottlenecks/<str:code>/history/", views_history.bottleneck_history, name="history_bottleneck"),
    path("terms/<int:pk>/history/", views_history.term_history, name="history_term"),
    path("chains/<slug:slug>/history/", views_history.chain_history, name="history_chain"),
    path("chains/<slug:slug>/as-of/", views_history.chain_as_of, name="chain_as_of"),
]
