"""API reads answered from the cache until the next write anywhere.

A list (and the chain map) is serialised once per viewer, query string and language, and kept under
the site's write version and the day (``chainmap.core.cache.per_viewer``), so nothing read is older
than the last committed write. Authentication, permissions and throttles run on every request as
before; only a 200 is kept (a 404 or a 400 is answered afresh).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.cache import cache
from django.utils import translation
from rest_framework import mixins
from rest_framework.request import Request
from rest_framework.response import Response

from chainmap.core import cache as summaries


def cached_response(request: Request, name: str, build: Callable[[], Response]) -> Response:
    """``build()``'s answer for this viewer and URL, from the cache when it was a 200."""
    parts = [request.get_full_path(), translation.get_language(), getattr(request, "accepted_media_type", "")]
    key = summaries.viewer_cache_key(f"api:{name}", user=request.user, parts=parts)
    data = cache.get(key)
    if data is not None:
        return Response(data)
    response = build()
    if response.status_code == 200 and not response.has_header("ETag"):
        cache.set(key, response.data, summaries.TIMEOUT)
    return response


class CachedListMixin(mixins.ListModelMixin):
    """``list`` from the cache (see the module)."""

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        name = f"{type(self).__module__}.{type(self).__name__}.list"
        return cached_response(request, name, lambda: super(CachedListMixin, self).list(request, *args, **kwargs))
