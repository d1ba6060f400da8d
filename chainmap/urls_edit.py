"""Map editing and change proposals, in the ``chainmap`` namespace."""

from django.urls import URLPattern, path

from chainmap import views_edit

urlpatterns: list[URLPattern] = [
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
]
