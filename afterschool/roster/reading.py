"""Step 1: find each sheet's header row and map its headers to fields, streaming the file."""

from __future__ import annotations

import itertools
import logging
import zipfile
from dataclasses import dataclass, field

from openpyxl.utils.exceptions import InvalidFileException

from ..cleaning import clean_text, compact
from ..xlsx import open_streaming
from .columns import Column
from .errors import EMPTY_FILE, NO_HEADER, TOO_MANY_ROWS, UNREADABLE_FILE, RowError

logger = logging.getLogger(__name__)


HEADER_SEARCH_ROWS = 10

def normalize_header(value) -> str:
    """``学籍号*``, ``班级（如 7-3）``, ``监护人\\n电话`` → 学籍号, 班级, 监护人电话."""
    text = compact(value)
    # Notes in brackets and required-marks are not part of the name.
    out, depth = [], 0
    for ch in text:
        if ch in "(（[【":
            depth += 1
        elif ch in ")）]】":
            depth = max(0, depth - 1)
        elif not depth:
            out.append(ch)
    return "".join(out).strip("*:：")


@dataclass
class Sheet:
    """The data of one worksheet: where its header is and which column holds which field."""

    title: str
    header_row: int
    columns: dict[str, tuple[int, str]]  # key -> (0-based index, header as written)
    rows: list[tuple[int, tuple]] = field(default_factory=list)  # (Excel row number, values)
    label: str = ""  # the sheet's title in error messages, when there are several sheets

    def header(self, key: str) -> str:
        return self.columns[key][1]

    def value(self, values: tuple, key: str):
        if key not in self.columns:
            return None
        index = self.columns[key][0]
        return values[index] if index < len(values) else None

    def has(self, key: str) -> bool:
        return key in self.columns


def _match_header(values: tuple, columns: tuple[Column, ...]) -> tuple[dict, list]:
    """Which field each cell of a candidate header row names, and names used twice."""
    by_name = {normalize_header(name): col for col in columns for name in col.names}
    found: dict[str, tuple[int, str]] = {}
    duplicates = []
    for index, cell in enumerate(values):
        col = by_name.get(normalize_header(cell))
        if col is None:
            continue
        if col.key in found:
            duplicates.append((col, found[col.key][1], clean_text(cell)))
        else:
            found[col.key] = (index, clean_text(cell))
    return found, duplicates


def _find_header(title: str, head: list[tuple[int, tuple]], columns
                 ) -> tuple[Sheet | None, list[RowError], int]:
    """The sheet's header row; else why the likeliest row is not one, and how close it came."""
    required = {c.key for c in columns if c.required}
    best: tuple[int, int, dict] | None = None
    for row_no, values in head:
        found, duplicates = _match_header(values, columns)
        if required <= found.keys():
            errors = [RowError(row_no, later, f"与「{first}」列重复，都表示“{col.label}”，请只保留一列。")
                      for col, first, later in duplicates]
            return Sheet(title=title, header_row=row_no, columns=found), errors, len(found)
        if found and (best is None or len(found) > len(best[2])):
            best = (row_no, len(found), found)
    if best is None:
        return None, [], 0
    row_no, _, found = best
    errors = []
    for col in columns:
        if col.required and col.key not in found:
            accepted = "、".join(f"「{n}」" for n in col.names[:6])
            errors.append(RowError(row_no, "", f"表头缺少“{col.label}”列（可用列名：{accepted}）。"))
    return None, errors, len(found)


def _rows_found(limit: int, found: int | None) -> str:
    return f"有 {found} 行" if found and found > limit else f"超过 {limit} 行"


def _no_header_error(columns: tuple[Column, ...], widest: tuple[str, int, list[str]],
                     several_sheets: bool) -> RowError:
    """Which headers the import needs and which the file has, when no row matched any."""
    title, row_no, texts = widest
    expected = "、".join(f"「{c.label}」" for c in columns if c.required)
    found = "、".join(f"「{t[:20]}」" for t in texts[:15]) + ("等" if len(texts) > 15 else "")
    where = f"「{title}」表第 {row_no} 行" if several_sheets else f"第 {row_no} 行"
    return RowError(None, "", NO_HEADER.format(rows=HEADER_SEARCH_ROWS, expected=expected,
                                               where=where, found=found))


def read_workbook(path_or_file, columns: tuple[Column, ...], *, max_rows: int | None = None,
                  too_many_rows: str = TOO_MANY_ROWS) -> tuple[list[Sheet], list[RowError]]:
    """Every worksheet's header and non-blank data rows; or why the file cannot be used.

    The header is the first row, among the first :data:`HEADER_SEARCH_ROWS`, that names every
    required column. Sheets with no such row (a 填写说明 sheet) are passed over. Row numbers
    are Excel's own, so a person can find the row the error names.

    The file is streamed (openpyxl's read-only mode): with ``max_rows``, reading stops at the
    first data row beyond it and the file is refused with ``too_many_rows``.
    """
    try:
        workbook = open_streaming(path_or_file)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError,
            SyntaxError):  # SyntaxError: xml's ParseError, a damaged part of the file
        return [], [RowError(None, "", UNREADABLE_FILE)]
    sheets: list[Sheet] = []
    read_errors: list[RowError] = []  # of sheets that were read
    skipped_errors: list[RowError] = []  # of the sheet that came closest to having a header
    closest = 0
    widest: tuple[str, int, list[str]] | None = None  # the fullest row seen: (sheet, row, texts)
    data_rows = 0
    sheet_count = len(workbook.sheetnames)
    try:
        for worksheet in workbook.worksheets:
            declared_last = worksheet.max_row  # as the file says; only to word an error
            # Some exporters write a wrong size (<dimension ref="A1"/>); read-only mode would
            # trust it and cut the sheet down to one cell. Rows may then differ in length.
            worksheet.reset_dimensions()
            rows = enumerate(worksheet.iter_rows(values_only=True), start=1)
            head = []
            for row_no, values in rows:
                head.append((row_no, values))
                texts = [t for t in (clean_text(v) for v in values) if t]
                if len(texts) > (len(widest[2]) if widest else 0):
                    widest = (worksheet.title, row_no, texts)
                if row_no >= HEADER_SEARCH_ROWS:
                    break
            sheet, errors, matched = _find_header(worksheet.title, head, columns)
            if sheet is None:
                if matched > closest:
                    closest = matched
                    skipped_errors = [RowError(e.row, e.column, e.message, worksheet.title)
                                      for e in errors]
                continue
            read_errors.extend(RowError(e.row, e.column, e.message, worksheet.title)
                               for e in errors)
            indexes = [i for i, _ in sheet.columns.values()]
            body = [(n, v) for n, v in head if n > sheet.header_row]
            for row_no, values in itertools.chain(body, rows):
                if not any(clean_text(values[i]) for i in indexes if i < len(values)):
                    continue
                if max_rows is not None and data_rows >= max_rows:
                    found = None
                    if declared_last and declared_last >= row_no:
                        found = data_rows + declared_last - row_no + 1
                    message = too_many_rows.format(limit=max_rows,
                                                   found=_rows_found(max_rows, found))
                    return [], [RowError(None, "", message)]
                data_rows += 1
                sheet.rows.append((row_no, values))
            sheets.append(sheet)
    except Exception:  # a damaged file fails anywhere inside openpyxl's XML parsing
        logger.info("unreadable roster workbook", exc_info=True)
        return [], [RowError(None, "", UNREADABLE_FILE)]
    finally:
        workbook.close()
    if not sheets:
        if not skipped_errors:
            if widest is None:
                return [], [RowError(None, "", EMPTY_FILE)]
            return [], [_no_header_error(columns, widest, sheet_count > 1)]
        # One sheet: its own title adds nothing to the message.
        if sheet_count == 1:
            skipped_errors = [RowError(e.row, e.column, e.message) for e in skipped_errors]
        return [], skipped_errors
    multi = len(sheets) > 1
    if multi:
        for sheet in sheets:
            sheet.label = sheet.title
    # Header problems of a sheet that was read (a duplicated column) still refuse the file.
    errors = [RowError(e.row, e.column, e.message, e.sheet if multi else "")
              for e in read_errors]
    if not any(s.rows for s in sheets):
        errors.append(RowError(None, "", EMPTY_FILE))
    return sheets, errors
