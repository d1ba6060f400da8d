"""Pages of the enterprises: list and search, an enterprise's page and editor, capability profiles and
placements (in the ``chainmap`` namespace, included by ``chainmap.urls``)."""

from django.urls import URLPattern, path

from chainmap.enterprises.views import edit as views_enterprises
from chainmap.enterprises.views import pages as views_pages
from chainmap.enterprises.views import profiles as views

urlpatterns: list[URLPattern] = [
    path("enterprises/", views_pages.enterprise_list, name="enterprise_list"),
    path("enterprises/<str:credit_code>/", views_pages.enterprise_detail, name="enterprise_detail"),
    path("my/profile/", views.my_profile, name="my_profile"),
    path("my/profile/start/", views.profile_start, name="profile_start"),
    path("profiles/review/", views.profile_review_queue, name="profile_review_queue"),
    path("profiles/<int:pk>/update/", views.profile_update, name="profile_update"),
    path("profiles/<int:pk>/submit/", views.profile_submit, name="profile_submit"),
    path("profiles/<int:pk>/withdraw/", views.profile_withdraw, name="profile_withdraw"),
    path("profiles/<int:pk>/approve/", views.profile_approve, name="profile_approve"),
    path("profiles/<int:pk>/return/", views.profile_return, name="profile_return"),
    path("profiles/<int:pk>/offers/new/", views.item_create, {"kind": "offer"}, name="offer_create"),
    path("profiles/<int:pk>/needs/new/", views.item_create, {"kind": "need"}, name="need_create"),
    path("offers/<int:pk>/edit/", views.item_edit, {"kind": "offer"}, name="offer_edit"),
    path("offers/<int:pk>/delete/", views.item_delete, {"kind": "offer"}, name="offer_delete"),
    path("needs/<int:pk>/edit/", views.item_edit, {"kind": "need"}, name="need_edit"),
    path("needs/<int:pk>/delete/", views.item_delete, {"kind": "need"}, name="need_delete"),
    path("enterprises/<str:credit_code>/profile/v<int:version>/", views.profile_version, name="profile_version"),
    path("enterprises/<str:credit_code>/placements/propose/", views.placement_propose, name="placement_propose"),
    path("placements/review/", views.placement_review_queue, name="placement_review_queue"),
    path("placements/<int:pk>/review/", views.placement_review, name="placement_review"),
    path("enterprises/<str:credit_code>/edit/", views_enterprises.enterprise_edit, name="enterprise_edit"),
]
