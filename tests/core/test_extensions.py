"""chainmap reads what projects contributes through the registry, never by importing projects."""

from __future__ import annotations

import pytest

from chainmap.core import extensions
from tests import factories as f


def test_a_count_no_app_registered_is_none():
    assert extensions.bottleneck_count("no-such-count", bottleneck_id=1) is None


def test_projects_registers_its_counts_at_startup():
    assert {"projects", "challenges"} <= set(extensions._bottleneck_counts)


@pytest.mark.django_db
def test_the_registered_counts_read_the_projects_of_a_bottleneck(monkeypatch):
    bottleneck = f.BottleneckFactory()
    assert extensions.bottleneck_count("challenges", bottleneck_id=bottleneck.pk) == 0
    monkeypatch.setitem(extensions._bottleneck_counts, "challenges", lambda bottleneck_id: bottleneck_id * 10)
    assert extensions.bottleneck_count("challenges", bottleneck_id=bottleneck.pk) == bottleneck.pk * 10
