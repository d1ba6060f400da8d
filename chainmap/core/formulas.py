"""The one rule for text cells a spreadsheet would run: every export, template and report sheet
passes its cells through ``escape_cell``; the importer reads them back through ``unescape_cell``.

A cell starting with ``= + - @``, a tab or a carriage return is a formula (or a DDE payload) to
Excel, LibreOffice and WPS: it gets a leading apostrophe. Text that already starts with an apostrophe
followed by one of those (or by another apostrophe) is escaped too, so that unescaping is exact for
every string: what an export wrote, an import reads back unchanged.
"""

from __future__ import annotations

from typing import Any

from django.utils.functional import Promise

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
ESCAPE = "'"


def escape_cell(value: Any) -> Any:
    """``value`` as a spreadsheet shows it as text; anything but text is returned as it is."""
    if isinstance(value, Promise):  # a lazily translated label
        value = str(value)
    if not isinstance(value, str) or not value:
        return value
    if value.startswith(FORMULA_PREFIXES):
        return ESCAPE + value
    if value.startswith(ESCAPE) and len(value) > 1 and value[1] in (*FORMULA_PREFIXES, ESCAPE):
        return ESCAPE + value
    return value


def unescape_cell(value: str) -> str:
    """The text ``escape_cell`` was given."""
    if value.startswith(ESCAPE) and len(value) > 1 and value[1] in (*FORMULA_PREFIXES, ESCAPE):
        return value[1:]
    return value
