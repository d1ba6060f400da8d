"""The six key chains (六链), in the order they are listed and take their turns in the 一月一链 calendar."""

from __future__ import annotations

from chainmap.demo.chains import biomedicine, cybersecurity, hydrogen, instruments, nev, robotics
from chainmap.demo.types import ChainSpec

CHAINS: list[ChainSpec] = [
    hydrogen.CHAIN,
    biomedicine.CHAIN,
    cybersecurity.CHAIN,
    instruments.CHAIN,
    nev.CHAIN,
    robotics.CHAIN,
]

CHAINS_BY_CODE: dict[str, ChainSpec] = {chain.code: chain for chain in CHAINS}


def bottleneck_code(chain_code: str, index: int) -> str:
    """KD-H2-001: the natural key of the ``index``-th (0-based) bottleneck of a chain."""
    return f"KD-{chain_code}-{index + 1:03d}"
