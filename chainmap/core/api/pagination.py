"""One pagination for every list: page numbers, one default size, a client may ask for up to the max."""

from __future__ import annotations

from django.conf import settings
from rest_framework.pagination import PageNumberPagination

from chainmap.core.cache import CountedPaginator


class StandardPagination(PageNumberPagination):
    page_size_query_param = "page_size"
    # Enterprise lists keep their totals per data version (``chainmap.core.cache.list_count``).
    django_paginator_class = CountedPaginator

    @property
    def page_size(self) -> int:  # type: ignore[override]
        return int(settings.REST_FRAMEWORK["PAGE_SIZE"])

    @property
    def max_page_size(self) -> int:  # type: ignore[override]
        return int(settings.REST_FRAMEWORK.get("MAX_PAGE_SIZE", 200))
