"""The chain-map domain. Import models from here: ``from chainmap.models import Node``."""

from chainmap.accounts.models import LiaisonLevel, Membership, Role
from chainmap.bottlenecks.models import (
    COVERED_BOTTLENECK_STATUSES,
    OPEN_BOTTLENECK_STATUSES,
    Bottleneck,
    BottleneckStatus,
    Mechanism,
)
from chainmap.core.models import STAGE_ORDER, Region, RegionCode, Stage, SubRegion
from chainmap.diagrams.models import Diagram, DiagramEngine, DiagramKind, DiagramStatus
from chainmap.enterprises.models.enterprises import QUALIFICATIONS, Enterprise, Placement
from chainmap.enterprises.models.profiles import (
    WORKING_STATUSES,
    CapabilityProfile,
    ProfileStatus,
    SupplyOffer,
    TechnologyNeed,
)
from chainmap.imports.models import ImportFormat, ImportJob, ImportKind, ImportStatus
from chainmap.leadership.models import LeadershipTerm, RotationRule
from chainmap.maps.models.chains import (
    GAP_LEVELS,
    SEGMENT_ORDER,
    Chain,
    Cluster,
    Edge,
    Level,
    Node,
    NodeAssessment,
    Segment,
)
from chainmap.maps.models.proposals import ChangeProposal, ProposalItem, ProposalStatus
from chainmap.matching.models import CalendarEntry, Match, MatchingRound, MatchToken, Outcome, RoundKind, RoundStatus
from chainmap.reports.models import Delivery, Report, Subscription

__all__ = [
    "COVERED_BOTTLENECK_STATUSES",
    "GAP_LEVELS",
    "OPEN_BOTTLENECK_STATUSES",
    "QUALIFICATIONS",
    "SEGMENT_ORDER",
    "STAGE_ORDER",
    "WORKING_STATUSES",
    "Bottleneck",
    "BottleneckStatus",
    "CalendarEntry",
    "CapabilityProfile",
    "Chain",
    "ChangeProposal",
    "Cluster",
    "Delivery",
    "Diagram",
    "DiagramEngine",
    "DiagramKind",
    "DiagramStatus",
    "Edge",
    "Enterprise",
    "ImportFormat",
    "ImportJob",
    "ImportKind",
    "ImportStatus",
    "LeadershipTerm",
    "Level",
    "LiaisonLevel",
    "Match",
    "MatchToken",
    "MatchingRound",
    "Mechanism",
    "Membership",
    "Node",
    "NodeAssessment",
    "Outcome",
    "Placement",
    "ProfileStatus",
    "ProposalItem",
    "ProposalStatus",
    "Region",
    "RegionCode",
    "Report",
    "Role",
    "RotationRule",
    "RoundKind",
    "RoundStatus",
    "Segment",
    "Stage",
    "SubRegion",
    "Subscription",
    "SupplyOffer",
    "TechnologyNeed",
]
