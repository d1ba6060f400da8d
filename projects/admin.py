"""Django admin for joint projects and challenges: each area registers its own models."""

from projects.challenges import admin as challenges_admin
from projects.joint import admin as joint_admin

AREAS = (challenges_admin, joint_admin)
