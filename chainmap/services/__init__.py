"""Services: the writes of chainmap. Keyword-only, typed, transactional, idempotent where it matters.

Views, API, tasks and commands call these; models never import them.
"""
