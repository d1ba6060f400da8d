"""Who may do what with joint projects, batches and milestones. Seeing them: every user with a role
(``selectors_joint.projects_visible_to``); changing one project: ``chainmap.accounts.permissions.can_edit_project``
(the joint office and officials of a participating region)."""

from __future__ import annotations

from typing import Any

from chainmap.accounts import permissions
from chainmap.core import roles
from chainmap.core.actors import Actor
from projects.joint.models import ProjectStatus

# Closing a project (acceptance, termination) is the organiser's decision, not the participants'.
CLOSING_STATUSES = (ProjectStatus.ACCEPTED, ProjectStatus.TERMINATED)


def can_view_projects(*, user: Actor) -> bool:
    return roles.role_of(user) is not None


def can_create_project(*, user: Actor) -> bool:
    """Launching a project (and a batch) is the joint office's."""
    return roles.is_joint_office(user)


def can_manage_batches(*, user: Actor) -> bool:
    return roles.is_joint_office(user)


def can_edit_project(*, user: Actor, project: Any) -> bool:
    return permissions.can_edit_project(user=user, project=project)


def can_set_project_status(*, user: Actor, project: Any, status: str) -> bool:
    """Participating regions move their project along; accepting or terminating it is the joint office's."""
    if status in CLOSING_STATUSES:
        return roles.is_joint_office(user)
    return can_edit_project(user=user, project=project)


def can_create_milestones(*, user: Actor) -> bool:
    """Before the body names the project: officials (which project: ``can_edit_project``)."""
    return roles.is_official(user)
