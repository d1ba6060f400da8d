"""Enterprises, their placements on chain nodes, capability profiles, supply offers and technology
needs."""
