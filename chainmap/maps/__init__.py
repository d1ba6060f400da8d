"""The chain maps: chains, clusters, nodes, edges, node assessments, change proposals, history and
the chain as of a date; the dashboard, chain and node pages."""
