"""factory_boy factories for the whole model. Regions come from the ``regions`` fixture (get-or-create)."""

from __future__ import annotations

import datetime as dt
import random

import factory
from django.contrib.auth import get_user_model

from chainmap import models as m
from chainmap.core.validators import CREDIT_CODE_ALPHABET, credit_code_check_char
from projects import models as pm

REGION_DATA = {
    "BJ": ("北京", "Beijing", m.Stage.RESEARCH, "原始创新：算法、软件、基础研究", 0),
    "TJ": ("天津", "Tianjin", m.Stage.CONVERSION, "研发转化：中试、先进制造、港口", 1),
    "HE": ("河北", "Hebei", m.Stage.SCALE, "场景应用与规模化：配套产业、规模制造", 2),
}


def region(code: str) -> m.Region:
    name, name_en, stage, role, position = REGION_DATA[code]
    obj, _ = m.Region.objects.get_or_create(
        code=code, defaults={"name": name, "name_en": name_en, "stage": stage, "role": role, "position": position}
    )
    return obj


def make_credit_code(seed: int | None = None) -> str:
    """A valid 18-character code (random body, correct check character)."""
    rng = random.Random(seed)
    body = "91" + "".join(rng.choice("0123456789") for _ in range(6))
    body += "".join(rng.choice(CREDIT_CODE_ALPHABET) for _ in range(9))
    return body + credit_code_check_char(body)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.cn")
    password = factory.django.Password("correct-horse-battery")


class ChainFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.Chain

    code = factory.Sequence(lambda n: f"C{n}")
    slug = factory.Sequence(lambda n: f"chain-{n}")
    name = factory.Sequence(lambda n: f"测试链{n}")
    name_en = factory.Sequence(lambda n: f"Test chain {n}")


class ClusterFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.Cluster

    code = factory.Sequence(lambda n: f"K{n}")
    slug = factory.Sequence(lambda n: f"cluster-{n}")
    name = factory.Sequence(lambda n: f"测试集群{n}")


class NodeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.Node

    chain = factory.SubFactory(ChainFactory)
    segment = m.Segment.UPSTREAM
    code = factory.Sequence(lambda n: f"T-N-{n}")
    name = factory.Sequence(lambda n: f"节点{n}")


class EdgeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.Edge

    chain = factory.SubFactory(ChainFactory)
    source = factory.SubFactory(NodeFactory, chain=factory.SelfAttribute("..chain"))
    target = factory.SubFactory(NodeFactory, chain=factory.SelfAttribute("..chain"), segment=m.Segment.MIDSTREAM)


class EnterpriseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.Enterprise

    credit_code = factory.Sequence(lambda n: make_credit_code(n))
    name = factory.Sequence(lambda n: f"示例科技有限公司{n}")
    region = factory.LazyFunction(lambda: region("BJ"))
    contact_email = factory.Sequence(lambda n: f"contact{n}@example.cn")


class PlacementFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.Placement

    enterprise = factory.SubFactory(EnterpriseFactory)
    node = factory.SubFactory(NodeFactory)
    status = m.Placement.Status.CONFIRMED


class ProfileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.CapabilityProfile

    enterprise = factory.SubFactory(EnterpriseFactory)
    status = m.ProfileStatus.APPROVED
    products = "燃料电池电堆"
    core_technologies = "膜电极 双极板"
    trl = 6


class OfferFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.SupplyOffer

    profile = factory.SubFactory(ProfileFactory)
    node = factory.SubFactory(NodeFactory)
    title = factory.Sequence(lambda n: f"供给{n}")


class NeedFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.TechnologyNeed

    profile = factory.SubFactory(ProfileFactory)
    node = factory.SubFactory(NodeFactory)
    title = factory.Sequence(lambda n: f"需求{n}")


class BottleneckFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.Bottleneck

    chain = factory.SubFactory(ChainFactory)
    code = factory.Sequence(lambda n: f"KD-{n:03d}")
    title = factory.Sequence(lambda n: f"卡点{n}")
    raised_by = factory.LazyFunction(lambda: region("TJ"))


class TermFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.LeadershipTerm

    chain = factory.SubFactory(ChainFactory)
    region = factory.LazyFunction(lambda: region("BJ"))
    starts_on = dt.date(2026, 1, 1)
    ends_on = dt.date(2026, 4, 30)


class RoundFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.MatchingRound

    kind = m.RoundKind.CHAIN_MONTH
    period = dt.date(2026, 11, 1)
    chain = factory.SubFactory(ChainFactory)


class BatchFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = pm.Batch
        django_get_or_create = ("number",)

    number = 1
    name = factory.LazyAttribute(lambda o: f"第{o.number}批")


class ProjectFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = pm.JointProject

    batch = factory.SubFactory(BatchFactory)
    code = factory.Sequence(lambda n: f"JP-{n:03d}")
    title = factory.Sequence(lambda n: f"联合攻关项目{n}")
    lead_unit = "示例研究院"
    lead_region = factory.LazyFunction(lambda: region("BJ"))
    starts_on = dt.date(2025, 7, 1)
    ends_on = dt.date(2027, 6, 30)


class ChallengeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = pm.Challenge

    bottleneck = factory.SubFactory(BottleneckFactory)
    code = factory.Sequence(lambda n: f"CH-{n:03d}")
    mechanism = pm.ChallengeMechanism.JIEBANG
    title = factory.Sequence(lambda n: f"揭榜任务{n}")


def member(username: str, role: str, *, region_code: str | None = None, enterprise: m.Enterprise | None = None):
    """A user with a membership: the personas are built from this."""
    user = UserFactory(username=username)
    m.Membership.objects.update_or_create(
        user=user,
        defaults={
            "role": role,
            "region": region(region_code) if region_code else None,
            "enterprise": enterprise,
        },
    )
    return user
