from django.urls import path

from chainmap import views

app_name = "chainmap"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
]
