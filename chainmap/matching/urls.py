"""Pages of the matching rounds and the calendars, included into the ``chainmap`` namespace by ``chainmap.urls``."""

from django.urls import URLPattern, path

from chainmap.matching import views as views_rounds

urlpatterns: list[URLPattern] = [
    path("rounds/", views_rounds.round_list, name="round_list"),
    path("rounds/new/", views_rounds.round_create, name="round_create"),
    path("rounds/<int:pk>/", views_rounds.round_detail, name="round_detail"),
    path("rounds/<int:pk>/status/", views_rounds.round_status, name="round_status"),
    path("rounds/<int:pk>/open/", views_rounds.round_open, name="round_open"),
    path("rounds/<int:pk>/match/", views_rounds.round_match, name="round_match"),
    path("rounds/<int:pk>/hold/", views_rounds.round_hold, name="round_hold"),
    path("rounds/<int:pk>/close/", views_rounds.round_close, name="round_close"),
    path("matches/<int:pk>/outcome/", views_rounds.match_outcome, name="match_outcome"),
    path("calendars/", views_rounds.calendars, name="calendars"),
    path("calendars/entry/", views_rounds.calendar_entry_set, name="calendar_entry_set"),
    path("calendars/fill/", views_rounds.calendar_fill, name="calendar_fill"),
]
