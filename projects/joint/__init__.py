"""Joint R&D projects (区域联合攻关项目) in batches, with participants and milestones."""
