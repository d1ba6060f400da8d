"""``{% viewer_cache "name" [part ...] %}…{% endviewer_cache %}``: a fragment rendered once per viewer
and kept under the site's write version and the day (``chainmap.core.cache.per_viewer``), in the
language of the page. What the block reads is computed only when it is rendered, so a view passes
lazy data (``SimpleLazyObject``) and a page served from the cache runs none of its queries.

Forms inside the block keep working: the block is rendered with a placeholder for the CSRF token,
and each page gets the token of its own request in its place.
"""

from __future__ import annotations

from typing import Any

from django import template
from django.template.base import FilterExpression, NodeList, Parser, Token
from django.template.context import Context
from django.utils import translation
from django.utils.safestring import SafeString, mark_safe

from chainmap.core import cache as summaries
from chainmap.core.actors import actor_of

register = template.Library()

# Never in a page of the product; in a user's own text it would only ever show that user's token.
CSRF_PLACEHOLDER = "chainmap-csrf-placeholder-5b0c3e9d"


class ViewerCacheNode(template.Node):
    def __init__(self, nodelist: NodeList, name: FilterExpression, parts: list[FilterExpression]) -> None:
        self.nodelist = nodelist
        self.name = name
        self.parts = parts

    def render(self, context: Context) -> SafeString:
        request = context.get("request")
        user = actor_of(request)
        name = str(self.name.resolve(context))
        parts = [translation.get_language(), *(part.resolve(context) for part in self.parts)]

        def compute() -> str:
            with context.push(csrf_token=CSRF_PLACEHOLDER):
                return str(self.nodelist.render(context))

        html = summaries.per_viewer(f"fragment:{name}", user=user, compute=compute, parts=parts)
        if CSRF_PLACEHOLDER in html:
            token = context.get("csrf_token")
            html = html.replace(CSRF_PLACEHOLDER, str(token) if token else "")
        return mark_safe(html)  # noqa: S308 (rendered and escaped by the template)


@register.tag("viewer_cache")
def viewer_cache(parser: Parser, token: Token) -> Any:
    bits = token.split_contents()
    if len(bits) < 2:
        raise template.TemplateSyntaxError(f"'{bits[0]}' needs a name")
    nodelist = parser.parse(("endviewer_cache",))
    parser.delete_first_token()
    return ViewerCacheNode(nodelist, parser.compile_filter(bits[1]), [parser.compile_filter(bit) for bit in bits[2:]])
