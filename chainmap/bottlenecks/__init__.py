"""The bottlenecks (卡点) of each chain and the bottleneck board."""
