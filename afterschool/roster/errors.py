"""What a roster import reports: one :class:`RowError` per problem, and the messages it uses."""

from __future__ import annotations

from dataclasses import dataclass

# A job keeps, and the page shows, this many errors; the rest are only counted.
MAX_LISTED_ERRORS = 200

UNREADABLE_FILE = ("无法读取该文件。请上传 Excel 2007 及以上版本的 .xlsx 文件；"
                   "如果是 .xls 或 WPS 文件，请先“另存为” .xlsx 格式。")
EMPTY_FILE = "文件中没有找到任何数据行。"
UNEXPECTED_ERROR = "导入时发生意外错误，没有写入任何数据。请稍后重试；如仍失败，请联系系统管理员。"
EXAMPLE_ROW = "这是模板中的示例行，请删除后再导入。"
# {found} is "有 M 行" when the file says how many rows it has, else "超过 N 行".
TOO_MANY_ROWS = "名册最多 {limit} 行，本文件{found}。请把文件分成几个不超过 {limit} 行的文件分别导入。"
TOO_MANY_ROWS_INLINE = ("系统现在没有运行后台任务进程，名册在网页上直接导入，一次最多 {limit} 行，本文件{found}。"
                        "请把文件分成几个不超过 {limit} 行的文件分别导入，"
                        "或请系统管理员启动后台任务进程（worker）后重新上传。")
NO_HEADER = ("没有找到表头：前 {rows} 行中没有一行写着名册需要的列名。需要的列：{expected}"
             "（其他可识别的列名见导入页）。文件中最像表头的是{where}：{found}。")
ERRORS_NOT_LISTED = "另有 {count} 处错误未列出（只列出前 {listed} 处）。"

@dataclass(frozen=True)
class RowError:
    """One problem with one cell (or a whole row, or the file when ``row`` is ``None``)."""

    row: int | None
    column: str
    message: str
    sheet: str = ""  # set only when the workbook has several sheets with data

    def as_dict(self) -> dict:
        data = {"row": self.row, "column": self.column, "message": self.message}
        if self.sheet:
            data["sheet"] = self.sheet
        return data

    def describe(self) -> str:
        where = [f"「{self.sheet}」表"] if self.sheet else []
        if self.row:
            where.append(f"第 {self.row} 行")
        if self.column:
            where.append(f"「{self.column}」列")
        return f"{''.join(where)}：{self.message}" if where else self.message


class ErrorLog:
    """Counts every error and keeps the first ``limit``.

    A file of 300,000 bad rows must not become 300,000 messages in the job and on the page;
    validation still goes on to the end, so the total is right.
    """

    def __init__(self, limit: int = MAX_LISTED_ERRORS):
        self.limit = limit
        self.listed: list[RowError] = []
        self.count = 0

    def append(self, error: RowError) -> None:
        self.count += 1
        if len(self.listed) < self.limit:
            self.listed.append(error)

    def __bool__(self) -> bool:
        return self.count > 0
