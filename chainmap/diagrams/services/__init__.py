"""Chain and cluster diagrams: pure DOT builder (``dot``), rendering (``render``), and keeping the
stored diagrams current (``service``). Views, tasks and commands import from here."""

from chainmap.diagrams.services.service import (
    BUSY,
    FAILED,
    MISSING,
    RENDERED,
    UNCHANGED,
    diagram_diff_get,
    diagram_lock,
    diagram_render_chain,
    diagram_render_cluster,
    diagram_render_diff,
    diagram_request_for_chain,
    diagram_request_render,
    diagrams_render_all,
)

__all__ = [
    "BUSY",
    "FAILED",
    "MISSING",
    "RENDERED",
    "UNCHANGED",
    "diagram_diff_get",
    "diagram_lock",
    "diagram_render_chain",
    "diagram_render_cluster",
    "diagram_render_diff",
    "diagram_request_for_chain",
    "diagram_request_render",
    "diagrams_render_all",
]
