"""Pages of one area, included into the ``chainmap`` namespace by ``chainmap.urls``."""

from django.urls import URLPattern, path

from chainmap.accounts import views as views_accounts

urlpatterns: list[URLPattern] = [
    path("password/", views_accounts.password_change, name="password_change"),
    path("password/done/", views_accounts.password_change_done, name="password_change_done"),
    path("users/", views_accounts.user_list, name="user_list"),
    path("users/<int:user_id>/deactivate/", views_accounts.user_deactivate, name="user_deactivate"),
    path("users/<int:user_id>/activate/", views_accounts.user_activate, name="user_activate"),
]
