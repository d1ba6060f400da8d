"""``{% enterprise_link enterprise %}``: the enterprise's name, linked to its page only when the current
user may open that page; plain text otherwise, so no page shows a link that answers 404.

The rule is ``EnterpriseQuerySet.visible_to`` (officials see every enterprise, an enterprise member only
their own), decided from the user's membership alone: no query per row.
"""

from __future__ import annotations

from typing import Any

from django import template
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString

from chainmap.core import roles
from chainmap.core.actors import Actor

register = template.Library()


def may_view_enterprise(*, user: Actor, enterprise: Any) -> bool:
    """True when ``enterprise`` is in ``Enterprise.objects.visible_to(user)``, without a query."""
    if roles.is_official(user):
        return True
    enterprise_id = roles.member_enterprise_id(user)
    return enterprise_id is not None and enterprise_id == enterprise.pk


def _user(context: template.Context) -> Any:
    request = context.get("request")
    if request is not None and hasattr(request, "user"):
        return request.user
    return context.get("user")


@register.simple_tag(takes_context=True)
def enterprise_link(context: template.Context, enterprise: Any, text: Any = None) -> SafeString | str:
    """``{% enterprise_link enterprise %}`` or ``{% enterprise_link enterprise text="…" %}``."""
    if enterprise is None:
        return ""
    label = enterprise.name if text is None else text
    if may_view_enterprise(user=_user(context), enterprise=enterprise):
        url = reverse("chainmap:enterprise_detail", args=[enterprise.credit_code])
        return format_html('<a href="{}">{}</a>', url, label)
    return format_html("{}", label)
