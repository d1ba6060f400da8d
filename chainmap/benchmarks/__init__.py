"""Benchmark sections for ``manage.py benchmark``.

Each section is a module with ``run(*, sizes, stdout) -> list[Row]`` style functions; the
command picks them by name (``--only diagrams``). Add matching, pages... as new modules.
"""
