"""``{% chain_diagram chain %}`` / ``{% cluster_diagram cluster %}``: the latest diagram, inline.

One query (the diagram row without its PNG/PDF/DOT columns), whatever the chain's size.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlencode

from django import template
from django.urls import reverse
from django.utils.safestring import mark_safe

from chainmap.diagrams import selectors as selectors_diagrams
from chainmap.diagrams.services.fonts import INSTALL_HINT
from chainmap.models import Diagram, DiagramEngine, DiagramStatus

register = template.Library()


def diagram_context(
    *,
    subject: str,
    obj: Any,
    diagram: Diagram | None = None,
    from_date: dt.date | None = None,
    to_date: dt.date | None = None,
) -> dict[str, Any]:
    """What ``chainmap/diagrams/_diagram.html`` shows for a chain, a cluster or a chain's diff."""
    if subject == "chain":
        diagram = selectors_diagrams.current_diagram(chain_id=obj.pk)
        file_url = reverse("diagram_chain_file", kwargs={"slug": obj.slug, "fmt": "svg"})[: -len("svg")]
        refresh_url = reverse("diagram_chain_fragment", kwargs={"slug": obj.slug})
        query = ""
    elif subject == "cluster":
        diagram = selectors_diagrams.current_diagram(cluster_id=obj.pk)
        file_url = reverse("diagram_cluster_file", kwargs={"slug": obj.slug, "fmt": "svg"})[: -len("svg")]
        refresh_url = reverse("diagram_cluster_fragment", kwargs={"slug": obj.slug})
        query = ""
    else:
        dates = {"from": from_date.isoformat() if from_date else "", "to": to_date.isoformat() if to_date else ""}
        query = "?" + urlencode(dates)
        file_url = reverse("diagram_chain_diff_file", kwargs={"slug": obj.slug, "fmt": "svg"})[: -len("svg")]
        refresh_url = reverse("diagram_chain_diff", kwargs={"slug": obj.slug}) + query
    downloads = []
    if diagram is not None and diagram.sha256:
        downloads.append(("SVG", f"{file_url}svg{query}"))
        if diagram.png_size:
            downloads.append(("PNG", f"{file_url}png{query}"))
        if diagram.pdf_size:
            downloads.append(("PDF", f"{file_url}pdf{query}"))
        downloads.append(("DOT", f"{file_url}dot{query}"))
    has_picture = diagram is not None and bool(diagram.svg)
    return {
        "subject": subject,
        "obj": obj,
        "diagram": diagram,
        # Sanitized at render time (chainmap.diagrams.services.render.sanitize_svg): no script, no handlers.
        "svg": mark_safe(diagram.svg) if diagram is not None and has_picture else "",  # noqa: S308
        "pending": diagram is not None and diagram.pending,
        "failed": diagram is not None and diagram.status == DiagramStatus.FAILED and has_picture,
        "error": diagram.last_error if diagram is not None else "",
        "svg_only": has_picture and diagram is not None and not diagram.png_size,
        "fallback_engine": diagram is not None and diagram.engine == DiagramEngine.WASM,
        "install_hint": INSTALL_HINT,
        "downloads": downloads,
        "refresh_url": refresh_url,
        "dom_id": f"diagram-{subject}-{obj.pk}",
    }


@register.inclusion_tag("chainmap/diagrams/_diagram.html")
def chain_diagram(chain: Any) -> dict[str, Any]:
    return diagram_context(subject="chain", obj=chain)


@register.inclusion_tag("chainmap/diagrams/_diagram.html")
def cluster_diagram(cluster: Any) -> dict[str, Any]:
    return diagram_context(subject="cluster", obj=cluster)
