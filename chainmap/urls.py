from django.urls import include, path

from chainmap import views

app_name = "chainmap"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("chains/", views.chain_list, name="chain_list"),
    path("chains/<slug:slug>/", views.chain_detail, name="chain_detail"),
    path("nodes/<str:code>/", views.node_detail, name="node_detail"),
    path("enterprises/", views.enterprise_list, name="enterprise_list"),
    path("enterprises/<str:credit_code>/", views.enterprise_detail, name="enterprise_detail"),
    # Each area's pages live in their own module, in this namespace.
    path("", include("chainmap.urls_edit")),
    path("", include("chainmap.urls_profiles")),
    path("", include("chainmap.urls_history")),
    path("", include("chainmap.urls_matching")),
    path("", include("chainmap.urls_reports")),
    path("", include("chainmap.urls_imports")),
    path("", include("chainmap.urls_accounts")),
    path("", include("chainmap.urls_enterprises")),
    path("", include("chainmap.urls_bottlenecks")),
    path("", include("chainmap.urls_subscriptions")),
]
