"""``{% chain_diagram chain %}``: the latest diagram of a chain, for the chain page."""

from typing import Any

from django import template

register = template.Library()


@register.inclusion_tag("chainmap/_diagram.html")
def chain_diagram(chain: Any) -> dict[str, Any]:
    return {"chain": chain, "diagram": None}
