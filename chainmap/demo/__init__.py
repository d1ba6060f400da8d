"""Demo data for chainmap: real domain knowledge as plain Python structures.

The regions and their sub-regions, the six key chains with their maps (nodes, supply edges,
per-region assessments), the five clusters, the 130 bottlenecks (卡点), the joint-project
batches and challenges, the demo users, and a deterministic generator of sample enterprises.
Nothing here touches the database: ``chainmap.demo.loading`` loads it.
"""
