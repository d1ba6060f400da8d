"""Spreadsheet exports and the empty templates: the same columns the importer reads, formulas escaped.

An export is the import format filled in, so exporting and importing the file again changes nothing.
Contact details are left blank where the user may not see them (the importer reads those blanks as
"unchanged").
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from chainmap.accounts import permissions
from chainmap.core.actors import Actor, signed_in
from chainmap.imports.services.imports import CHAIN_KINDS, handler_for
from chainmap.imports.services.spreadsheets import write_csv, write_xlsx
from chainmap.models import Chain

FORMATS = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
}


@dataclass(frozen=True)
class ExportFile:
    file_name: str
    content_type: str
    content: bytes


def _check_format(file_format: str) -> None:
    if file_format not in FORMATS:
        raise ValidationError({"format": _("Choose xlsx or csv.")})


def _build(headers: list[str], rows: list[list[Any]], *, file_format: str, name: str) -> ExportFile:
    content = write_xlsx(headers, rows, sheet_title=name) if file_format == "xlsx" else write_csv(headers, rows)
    return ExportFile(file_name=f"{name}.{file_format}", content_type=FORMATS[file_format], content=content)


def export_file(*, kind: str, user: Actor, chain: Chain | None, file_format: str) -> ExportFile:
    """The kind's rows (of one chain for nodes, edges and bottlenecks; optional filter for the others)."""
    handler_class = handler_for(kind)
    _check_format(file_format)
    if not permissions.can_export(user=user):
        raise PermissionDenied(_("You may not export data."))
    if kind in CHAIN_KINDS and chain is None:
        raise ValidationError({"chain": _("Choose the chain to export.")})
    handler = handler_class(user=signed_in(user), chain=chain, reason="")
    stamp = timezone.localdate().strftime("%Y%m%d")
    name = f"{kind}-{chain.slug}-{stamp}" if chain is not None else f"{kind}-{stamp}"
    return _build(handler.headers(), handler.export_rows(), file_format=file_format, name=name)


def template_file(*, kind: str, file_format: str) -> ExportFile:
    """An empty file with the column headers, to fill in and import."""
    handler_class = handler_for(kind)
    _check_format(file_format)
    return _build(handler_class.headers(), [], file_format=file_format, name=f"{kind}-template")
