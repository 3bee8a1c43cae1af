"""Every .xlsx the project writes, hands out or reads goes through here.

- **Text stays text.** openpyxl stores a string that starts with ``=`` as a formula, so a
  pupil named ``=HYPERLINK("http://…","…")`` would export as a live link. Here every string is
  a text cell; one that a spreadsheet could take for a formula (``=``, ``+``, ``-``, ``@``, a
  tab or a carriage return first) also gets Excel's quote prefix and the text format, so it is
  shown as typed and stays text when someone edits the cell. Reading the file back gives the
  exact string (XML turns a carriage return into a line feed), and the roster import reads the
  same name it exported.
- **Write-only sheets**: rows are streamed to the file, a whole school fits in little memory.
- :func:`xlsx_response` names the download in Chinese (RFC 5987 ``filename*``) with an ASCII
  ``filename`` for old clients.
- :func:`open_streaming` opens an uploaded file row by row (openpyxl's read-only mode, made
  to really stream: see :func:`_read_declared_size`).

Usage::

    book = Book()
    sheet = book.sheet("名单", widths=[14, None, 22], freeze="A2")
    sheet.header(["课程", "教学班", "时间"])
    sheet.row([course.name, section.name, slots])
    return xlsx_response(book.to_bytes(), "统筹安排-第1版.xlsx")
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from io import BytesIO
from urllib.parse import quote

from django.http import HttpResponse
from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._read_only import ReadOnlyWorksheet
from openpyxl.worksheet._reader import DATA_TAG, DIMENSION_TAG
from openpyxl.worksheet.dimensions import SheetDimension
from openpyxl.xml.functions import iterparse

CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# What Excel, LibreOffice and WPS may read as the start of a formula (OWASP "CSV injection").
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
TEXT_FORMAT = "@"

BOLD = Font(bold=True)
HEADER_FONT = BOLD
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")

_SHEET_TITLE_FORBIDDEN = re.compile(r"[\\/*?:\[\]]")
_FALLBACK_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def looks_like_formula(value: str) -> bool:
    return value.startswith(FORMULA_PREFIXES)


def sheet_title(title: str) -> str:
    """A title Excel accepts: no ``\\ / * ? : [ ]``, at most 31 characters."""
    return (_SHEET_TITLE_FORBIDDEN.sub("_", title).strip("'") or "Sheet")[:31]


def make_cell(sheet, value, *, font: Font | None = None, fill: PatternFill | None = None,
              number_format: str | None = None) -> Cell:
    """One cell of a write-only sheet; a string is always a text cell (see the module doc)."""
    if isinstance(value, str):
        # Control characters cannot be stored in the file at all (openpyxl would raise).
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
    cell = WriteOnlyCell(sheet, value=value)
    if isinstance(value, str):
        # openpyxl guesses "=…" is a formula and "#N/A" an error; a value from the database
        # is neither.
        cell.data_type = "s"
        if looks_like_formula(value):
            cell.quotePrefix = True
            number_format = TEXT_FORMAT
    if number_format and value is not None:
        cell.number_format = number_format
    if font is not None:
        cell.font = font
    if fill is not None:
        cell.fill = fill
    return cell


class Sheet:
    """A write-only worksheet: a header row, then rows, each appended once, in order."""

    def __init__(self, worksheet, *, widths: Sequence[float | None] = (), freeze: str | None = None,
                 number_formats: Mapping[int, str] | None = None):
        self._ws = worksheet
        # Column widths and frozen panes must be set before the first row is written.
        for index, width in enumerate(widths, start=1):
            if width:
                self._ws.column_dimensions[get_column_letter(index)].width = width
        if freeze:
            self._ws.freeze_panes = freeze
        # Number formats per column (0-based), e.g. {13: "0.0%"}.
        self.number_formats = dict(number_formats or {})

    def row(self, values: Iterable = (), *, font: Font | None = None,
            fill: PatternFill | None = None, formats: Mapping[int, str] | None = None) -> None:
        formats = {**self.number_formats, **(formats or {})}
        plain = font is None and fill is None
        # A plain number (or an empty cell) goes to openpyxl as it is: it makes the same cell,
        # without a cell object of ours per value (most of a report's cells are numbers).
        self._ws.append([value if plain and index not in formats and (
                            value is None or type(value) in (int, float))
                         else make_cell(self._ws, value, font=font, fill=fill,
                                        number_format=formats.get(index))
                         for index, value in enumerate(values)])

    def header(self, titles: Iterable[str]) -> None:
        self.row(titles, font=HEADER_FONT, fill=HEADER_FILL)


class Book:
    """A write-only workbook of :class:`Sheet` s."""

    def __init__(self):
        self._workbook = Workbook(write_only=True)
        self._content: bytes | None = None

    def sheet(self, title: str, *, widths: Sequence[float | None] = (), freeze: str | None = None,
              number_formats: Mapping[int, str] | None = None) -> Sheet:
        worksheet = self._workbook.create_sheet(sheet_title(title))
        return Sheet(worksheet, widths=widths, freeze=freeze, number_formats=number_formats)

    def to_bytes(self) -> bytes:
        """The file; a write-only workbook can be saved once, so the bytes are kept."""
        if self._content is None:
            buffer = BytesIO()
            self._workbook.save(buffer)
            self._content = buffer.getvalue()
        return self._content


# ------------------------------------------------------------------ reading uploads

def _read_declared_size(self: ReadOnlyWorksheet) -> None:
    """The size a sheet declares in ``<dimension>``, looking no further than ``<sheetData>``.

    Replaces ``ReadOnlyWorksheet._get_size``, which opening a workbook calls for every sheet:
    openpyxl 3.1 waits for the *end* of ``<sheetData>`` before it gives up on a file that
    declares no size (openpyxl's own write-only files, among others), so it parsed the whole
    sheet before the first row was read: 30 s for 300,000 rows, whatever the row cap. The
    schema puts ``<dimension>`` before ``<sheetData>``, so the result is the same.
    """
    source = self._get_source()
    try:
        for _event, element in iterparse(source, events=("start",)):
            if element.tag == DIMENSION_TAG:
                boundaries = SheetDimension.from_tree(element).boundaries
                if boundaries is not None:
                    self._min_column, self._min_row, self._max_column, self._max_row = boundaries
                return
            if element.tag == DATA_TAG:
                return
    finally:
        source.close()


ReadOnlyWorksheet._get_size = _read_declared_size


def open_streaming(path_or_file):
    """An uploaded workbook for reading row by row: values only (a formula's cached result)."""
    return load_workbook(path_or_file, read_only=True, data_only=True)


# ------------------------------------------------------------------ download responses

def ascii_filename(filename: str) -> str:
    """The name for clients that ignore ``filename*``: ASCII letters, digits, ``. _ -``."""
    stem, dot, ext = filename.rpartition(".")
    if not dot:
        stem, ext = filename, ""
    text = unicodedata.normalize("NFKD", stem).encode("ascii", "ignore").decode()
    text = _FALLBACK_UNSAFE.sub("-", text).strip("-._")
    if not re.search(r"[A-Za-z]", text):
        text = f"export-{text}" if text else "export"
    ext = _FALLBACK_UNSAFE.sub("", ext)
    return f"{text}.{ext}" if ext else text


def content_disposition(filename: str, *, fallback: str = "") -> str:
    """``attachment`` with an ASCII ``filename`` and, for any other name, RFC 5987 ``filename*``.

    ``fallback`` is the ASCII name to use (else one is derived from ``filename``).
    """
    plain = ascii_filename(fallback or filename)
    header = f'attachment; filename="{plain}"'
    if filename != plain:
        header += f"; filename*=utf-8''{quote(filename, safe='')}"
    return header


def xlsx_response(content: bytes, filename: str, *, fallback: str = "") -> HttpResponse:
    """The workbook's bytes as a download named ``filename`` (Chinese is fine)."""
    response = HttpResponse(content, content_type=CONTENT_TYPE)
    response["Content-Disposition"] = content_disposition(filename, fallback=fallback)
    return response
