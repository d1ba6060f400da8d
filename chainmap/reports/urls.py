"""Pages of the round reports and the user's report subscription (in the ``chainmap`` namespace, included by
``chainmap.urls``)."""

from django.urls import URLPattern, path

from chainmap.reports.views import reports as views_reports
from chainmap.reports.views import subscriptions as views_subscriptions

urlpatterns: list[URLPattern] = [
    path("rounds/<int:pk>/report/", views_reports.report_detail, name="report_detail"),
    path("rounds/<int:pk>/report.pdf", views_reports.report_pdf, name="report_pdf"),
    path("rounds/<int:pk>/report.xlsx", views_reports.report_xlsx, name="report_xlsx"),
    path("rounds/<int:pk>/report/build/", views_reports.report_build, name="report_build"),
    path("deliveries/<int:pk>/resend/", views_reports.delivery_resend, name="delivery_resend"),
    path("my/subscription/", views_subscriptions.my_subscription, name="my_subscription"),
    path("my/subscription/delete/", views_subscriptions.my_subscription_delete, name="my_subscription_delete"),
]
