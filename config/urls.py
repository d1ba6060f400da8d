from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.db import transaction
from django.http import HttpRequest, HttpResponsePermanentRedirect
from django.templatetags.static import static as static_url
from django.urls import include, path
from django.views.i18n import set_language

from chainmap import health
from chainmap.api import urls as api_urls


@login_not_required
def favicon(request: HttpRequest) -> HttpResponsePermanentRedirect:
    """Browsers ask for /favicon.ico whatever the page links, before login too."""
    return HttpResponsePermanentRedirect(static_url("favicon.svg"))


urlpatterns = [
    # django-axes counts failed logins in the database: each count commits at once, outside the request's
    # transaction (AtomicWritesMiddleware), so parallel guesses see it and an error later in the request cannot undo it.
    path(
        "login/",
        transaction.non_atomic_requests(auth_views.LoginView.as_view(redirect_authenticated_user=True)),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    # The language switch must work on the login page too.
    path("i18n/setlang/", login_not_required(set_language), name="set_language"),
    path("healthz", health.healthz, name="healthz"),
    path("favicon.ico", favicon),
    path("admin/", admin.site.urls),
    path("api/", include("chainmap.api.urls")),
    path("api/", include("projects.api.urls")),
    path("api/", include(api_urls.catch_all)),
    path("projects/", include("projects.urls")),
    path("", include("chainmap.diagrams.urls")),
    path("", include("chainmap.urls")),
]
if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
