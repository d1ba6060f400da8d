"""What another app contributes to the round report, registered when that app starts (its
``AppConfig.ready``), as ``chainmap.core.extensions`` does for the bottleneck page: the report reads
it through here and never imports that app; without it installed, its section is simply empty.

Today: ``projects`` gives the joint-projects section (the projects on the round's chains, with
their weighted milestone progress) and the labels of their statuses.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

JOINT_PROJECTS = "joint_projects"  # the section of the joint projects on the round's chains

# chain ids -> the section's rows (plain JSON: it is frozen into the report's snapshot)
SectionRows = Callable[[list[int]], list[dict[str, Any]]]


@dataclass(frozen=True)
class ReportSection:
    rows: SectionRows
    # status value -> its label in the active language
    status_labels: Callable[[], dict[str, str]]


_sections: dict[str, ReportSection] = {}


def register_report_section(name: str, section: ReportSection) -> None:
    """Called by the contributing app's ``ready()``; registering the same name again replaces it."""
    _sections[name] = section


def section_rows(name: str, *, chain_ids: list[int]) -> list[dict[str, Any]]:
    """The registered section's rows for those chains; none when no installed app contributes it."""
    section = _sections.get(name)
    return [] if section is None else section.rows(chain_ids)


def section_status_labels(name: str) -> dict[str, str]:
    section = _sections.get(name)
    return {} if section is None else section.status_labels()
