"""A small chain map with a leadership calendar, shared by the map-editing, proposal and rotation tests.

Import the fixtures into a test module with ``from tests.mapfixtures import *``.
Beijing leads from 2026-05-01 to 2026-08-31, Tianjin from 2026-09-01 to 2026-12-31; the clock is set
to 2026-06-15 10:00 in Beijing unless a test travels elsewhere.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import pytest
import time_machine

from chainmap import models as m
from tests import factories as f

SHANGHAI = ZoneInfo("Asia/Shanghai")
BJ_TERM = (dt.date(2026, 5, 1), dt.date(2026, 8, 31))
TJ_TERM = (dt.date(2026, 9, 1), dt.date(2026, 12, 31))


def at(year: int, month: int, day: int, hour: int = 10, minute: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)


@dataclass
class ChainMap:
    chain: m.Chain
    up: m.Node
    mid: m.Node
    down: m.Node
    up_mid: m.Edge
    mid_down: m.Edge
    bj_term: m.LeadershipTerm
    tj_term: m.LeadershipTerm


@pytest.fixture
def clock():
    with time_machine.travel(at(2026, 6, 15), tick=True) as traveller:
        yield traveller


@pytest.fixture
def chain_map(regions, clock) -> ChainMap:
    chain = f.ChainFactory(code="H2", slug="hydrogen", name="氢能")
    up = f.NodeFactory(chain=chain, code="H2-UP-01", name="制氢", segment=m.Segment.UPSTREAM)
    mid = f.NodeFactory(chain=chain, code="H2-MID-01", name="燃料电池电堆", segment=m.Segment.MIDSTREAM)
    down = f.NodeFactory(chain=chain, code="H2-DOWN-01", name="氢燃料电池汽车", segment=m.Segment.DOWNSTREAM)
    up_mid = f.EdgeFactory(chain=chain, source=up, target=mid)
    mid_down = f.EdgeFactory(chain=chain, source=mid, target=down)
    bj_term = f.TermFactory(chain=chain, region=regions["BJ"], starts_on=BJ_TERM[0], ends_on=BJ_TERM[1])
    tj_term = f.TermFactory(chain=chain, region=regions["TJ"], starts_on=TJ_TERM[0], ends_on=TJ_TERM[1])
    return ChainMap(chain, up, mid, down, up_mid, mid_down, bj_term, tj_term)
