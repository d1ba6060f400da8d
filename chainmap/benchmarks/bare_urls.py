"""URLs of the benchmark's gunicorn: the product's own (``config.urls``) plus the bare baseline view.

The bare view is what Django costs on this machine without the product: the same middleware, one
query for 50 enterprises (a page's worth), a template of one table, no login. Pages are compared
with it, so the targets hold on a slower or faster machine alike.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.template import engines
from django.urls import include, path

from chainmap.models import Enterprise

ROWS = 50
BARE_PATH = "__benchmark__/bare/"

_TEMPLATE = engines["django"].from_string(
    "<!doctype html><html><head><meta charset='utf-8'><title>bare</title></head><body><table>"
    "{% for e in rows %}<tr><td>{{ e.pk }}</td><td>{{ e.name }}</td><td>{{ e.credit_code }}</td>"
    "<td>{{ e.region.name }}</td><td>{{ e.size }}</td></tr>{% endfor %}</table></body></html>"
)


@login_not_required
def bare(request: HttpRequest) -> HttpResponse:
    rows = list(Enterprise.objects.select_related("region").order_by("pk")[:ROWS])
    return HttpResponse(_TEMPLATE.render({"rows": rows}, request))


urlpatterns = [
    path(BARE_PATH, bare, name="benchmark_bare"),
    path("", include("config.urls")),
]
