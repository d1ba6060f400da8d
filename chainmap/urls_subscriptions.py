"""Pages: the user's report subscription (included into the ``chainmap`` namespace)."""

from django.urls import URLPattern, path

from chainmap import views_subscriptions

urlpatterns: list[URLPattern] = [
    path("my/subscription/", views_subscriptions.my_subscription, name="my_subscription"),
    path("my/subscription/delete/", views_subscriptions.my_subscription_delete, name="my_subscription_delete"),
]
