"""Challenges on bottlenecks (揭榜挂帅 / 赛马制), their phases, applications and scores."""
