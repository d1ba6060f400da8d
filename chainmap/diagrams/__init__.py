"""Graphviz diagrams of chains and clusters: the DOT builder, rendering with the system ``dot``,
stored diagrams kept current by jobs."""
