"""Reading and writing the spreadsheets of imports and exports: upload checks, CSV/XLSX.

Nothing here knows about the model: a table is a header row and rows of text cells, escaped on the
way out by the one rule of ``chainmap.core.formulas``. Every check on an upload (size, real XLSX or
CSV by content, zip bomb, row count, encoding) happens here, before a row reaches the importer; each
failure raises ``SpreadsheetError`` with a message for the ``file`` field.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.utils.translation import gettext as _

from chainmap.core.formulas import escape_cell

if TYPE_CHECKING:
    from config.settings_types import ImportSettings

XLSX_MEMBERS = ("[Content_Types].xml", "xl/workbook.xml")
ZIP_MAGIC = b"PK\x03\x04"
# Members too small to matter are not held to the compression ratio (an empty sheet compresses well).
RATIO_FLOOR_BYTES = 64 * 1024
MAX_ZIP_MEMBERS = 2000
CSV_ENCODINGS = ("utf-8-sig", "gb18030")


class SpreadsheetError(Exception):
    """The upload as a whole is unusable; the message names what is wrong with the file."""


@dataclass
class Table:
    """A parsed upload: its header cells and its data rows (spreadsheet row number, cells)."""

    file_format: str
    headers: list[str]
    rows: list[tuple[int, list[str]]] = field(default_factory=list)


def _cell_text(value: Any) -> str:
    """An XLSX cell as the text the importer parses (numbers typed into Excel come back as numbers)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _limits() -> ImportSettings:
    return settings.CHAINMAP_IMPORTS


def detect_format(data: bytes) -> str:
    """``xlsx`` or ``csv`` from the bytes themselves; the file name's extension is never trusted."""
    if data.startswith(ZIP_MAGIC):
        return "xlsx"
    return "csv"


def read_table(data: bytes) -> Table:
    """Check and parse an upload. Raises ``SpreadsheetError`` for anything unusable as a whole."""
    limits = _limits()
    if not data:
        raise SpreadsheetError(_("The file is empty."))
    if len(data) > limits["MAX_BYTES"]:
        raise SpreadsheetError(
            _("The file is %(size)s bytes; the limit is %(limit)s bytes.")
            % {"size": len(data), "limit": limits["MAX_BYTES"]}
        )
    table = _read_xlsx(data) if detect_format(data) == "xlsx" else _read_csv(data)
    if not any(cell.strip() for cell in table.headers):
        raise SpreadsheetError(_("The first row must hold the column headers."))
    return table


def check_zip(data: bytes) -> None:
    """A real XLSX, and no zip bomb: looked at with ``zipfile`` before openpyxl opens anything."""
    limits = _limits()
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError, ValueError):
        raise SpreadsheetError(_("The file is neither an XLSX workbook nor a CSV text file.")) from None
    with archive:
        members = archive.infolist()
        names = {member.filename for member in members}
        if not all(name in names for name in XLSX_MEMBERS):
            raise SpreadsheetError(_("The file is neither an XLSX workbook nor a CSV text file."))
        if len(members) > MAX_ZIP_MEMBERS:
            raise SpreadsheetError(_("The workbook has too many parts to be a plain spreadsheet."))
        total = sum(member.file_size for member in members)
        if total > limits["MAX_UNCOMPRESSED_BYTES"]:
            raise SpreadsheetError(
                _("The workbook unpacks to %(size)s bytes; the limit is %(limit)s bytes.")
                % {"size": total, "limit": limits["MAX_UNCOMPRESSED_BYTES"]}
            )
        for member in members:
            if member.file_size <= RATIO_FLOOR_BYTES:
                continue
            ratio = member.file_size / max(member.compress_size, 1)
            if ratio > limits["MAX_COMPRESSION_RATIO"]:
                raise SpreadsheetError(
                    _("The workbook is compressed suspiciously well (%(ratio)d:1); it was not opened.")
                    % {"ratio": ratio}
                )


def _read_xlsx(data: bytes) -> Table:
    check_zip(data)
    import openpyxl

    max_rows = _limits()["MAX_ROWS"]
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception:  # openpyxl raises many kinds (KeyError, XML errors...) for a broken workbook
        raise SpreadsheetError(_("The workbook could not be read; save it again as .xlsx and retry.")) from None
    try:
        sheet = workbook.worksheets[0]
        table = Table(file_format="xlsx", headers=[])
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            cells = [_cell_text(value) for value in values]
            if number == 1:
                table.headers = cells
                continue
            if not any(cell.strip() for cell in cells):
                continue
            if len(table.rows) >= max_rows:
                raise SpreadsheetError(_("The file has more than %(limit)s rows.") % {"limit": max_rows})
            table.rows.append((number, cells))
    except SpreadsheetError:
        raise
    except Exception:
        raise SpreadsheetError(_("The workbook could not be read; save it again as .xlsx and retry.")) from None
    finally:
        workbook.close()
    return table


def decode_text(data: bytes) -> str:
    """UTF-8 (with or without BOM) first, then GB18030 (what Excel saves as "CSV" on Chinese Windows)."""
    if b"\x00" in data:
        raise SpreadsheetError(_("The file is neither an XLSX workbook nor a CSV text file."))
    for encoding in CSV_ENCODINGS:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise SpreadsheetError(_("The CSV file is neither UTF-8 nor GB18030 text."))


def _read_csv(data: bytes) -> Table:
    text = decode_text(data)
    max_rows = _limits()["MAX_ROWS"]
    table = Table(file_format="csv", headers=[])
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        for number, cells in enumerate(reader, start=1):
            if number == 1:
                table.headers = cells
                continue
            if not any(cell.strip() for cell in cells):
                continue
            if len(table.rows) >= max_rows:
                raise SpreadsheetError(_("The file has more than %(limit)s rows.") % {"limit": max_rows})
            table.rows.append((number, cells))
    except csv.Error as exc:
        raise SpreadsheetError(_("The CSV file is malformed: %(error)s") % {"error": exc}) from None
    return table


def write_xlsx(headers: list[str], rows: list[list[Any]], *, sheet_title: str = "data") -> bytes:
    import openpyxl
    from openpyxl.styles import Font

    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet(title=sheet_title[:31])
    header_cells = []
    for header in headers:
        cell = openpyxl.cell.WriteOnlyCell(sheet, value=header)
        cell.font = Font(bold=True)
        header_cells.append(cell)
    sheet.append(header_cells)
    for row in rows:
        # Text cells only: a number-looking code typed as text must come back identical.
        sheet.append([escape_cell(value) if isinstance(value, str) else value for value in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def write_csv(headers: list[str], rows: list[list[Any]]) -> bytes:
    """UTF-8 with a BOM: Excel then opens the Chinese text correctly, and the importer reads it back."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(headers)
    for row in rows:
        writer.writerow(
            ["" if value is None else escape_cell(value if isinstance(value, str) else str(value)) for value in row]
        )
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")
