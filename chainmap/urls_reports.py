"""Pages of the round reports, included into the ``chainmap`` namespace by ``chainmap.urls``."""

from django.urls import URLPattern, path

from chainmap import views_reports

urlpatterns: list[URLPattern] = [
    path("rounds/<int:pk>/report/", views_reports.report_detail, name="report_detail"),
    path("rounds/<int:pk>/report.pdf", views_reports.report_pdf, name="report_pdf"),
    path("rounds/<int:pk>/report.xlsx", views_reports.report_xlsx, name="report_xlsx"),
    path("rounds/<int:pk>/report/build/", views_reports.report_build, name="report_build"),
    path("deliveries/<int:pk>/resend/", views_reports.delivery_resend, name="delivery_resend"),
]
