"""Joint R&D projects (区域联合攻关项目) in batches, and challenges (揭榜挂帅 / 赛马制) on bottlenecks.

The models live in their areas (``projects.joint``, ``projects.challenges``); Django loads them from here."""

from projects.challenges.models import (
    Application,
    ApplicationStatus,
    Challenge,
    ChallengeMechanism,
    ChallengePhase,
    ChallengeStatus,
    Criterion,
    ReviewScore,
)
from projects.joint.models import Batch, JointProject, Milestone, Participant, ProjectStatus

__all__ = [
    "Application",
    "ApplicationStatus",
    "Batch",
    "Challenge",
    "ChallengeMechanism",
    "ChallengePhase",
    "ChallengeStatus",
    "Criterion",
    "JointProject",
    "Milestone",
    "Participant",
    "ProjectStatus",
    "ReviewScore",
]
