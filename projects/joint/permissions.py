"""Who may do what with joint projects, batches and milestones. Seeing them: every user with a role
(``JointProject.objects.visible_to``); changing one project: ``can_edit_project`` (the joint office and
officials of a participating region)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chainmap.core import roles
from chainmap.core.actors import Actor
from projects.joint.models import ProjectStatus

if TYPE_CHECKING:
    from projects.joint.models import JointProject

# Closing a project (acceptance, termination) is the organiser's decision, not the participants'.
CLOSING_STATUSES = (ProjectStatus.ACCEPTED, ProjectStatus.TERMINATED)


def can_view_projects(*, user: Actor) -> bool:
    return roles.role_of(user) is not None


def can_create_project(*, user: Actor) -> bool:
    """Launching a project (and a batch) is the joint office's."""
    return roles.is_joint_office(user)


def can_manage_batches(*, user: Actor) -> bool:
    return roles.is_joint_office(user)


def can_edit_project(*, user: Actor, project: JointProject) -> bool:
    """Joint projects and their milestones: the joint office and officials of a participating region."""
    if roles.is_joint_office(user):
        return True
    region_id = roles.official_region_id(user)
    return region_id is not None and project.participants.filter(region_id=region_id).exists()


def can_set_project_status(*, user: Actor, project: JointProject, status: str) -> bool:
    """Participating regions move their project along; accepting or terminating it is the joint office's."""
    if status in CLOSING_STATUSES:
        return roles.is_joint_office(user)
    return can_edit_project(user=user, project=project)


def can_create_milestones(*, user: Actor) -> bool:
    """Before the body names the project: officials (which project: ``can_edit_project``)."""
    return roles.is_official(user)
