"""The rotating chain leader (轮值"链长制"): rotation rules, terms, the leadership calendar and
the handover mail."""
