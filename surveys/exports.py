"""The survey's results as an .xlsx: the same aggregates as the page, never a response.

Sheets: 总体 (each question's distribution and satisfaction rate), one per cut (年级, 班级,
课程, 辅导教师; a hidden group says so and carries no figure), 意见建议 (free text without
names, in the order of the text).
"""

from __future__ import annotations

from afterschool.xlsx import Book

from .display import CUTS
from .models import Question
from .selectors import Results


def results_workbook(results: Results) -> bytes:
    book = Book()
    survey = results.survey
    sheet = book.sheet("总体", widths=[8, 50, 12, 12, 40])
    sheet.row([survey.title])
    sheet.row(["学期", survey.term.name])
    sheet.row(["答卷", results.responses, "参加过服务的学生", results.invited])
    if not results.shown:
        sheet.row([f"答卷少于 {results.min_answers} 份，为保护家长匿名，暂不显示结果。"])
        return book.to_bytes()
    sheet.row(["总体满意率（满意+非常满意）", f"{results.rate}%" if results.rate is not None
               else "—"])
    sheet.row([])
    sheet.header(["题号", "题目", "作答人数", "满意率", "分布"])
    for q in results.questions:
        if q.question.kind == Question.Kind.TEXT:
            continue
        spread = "；".join(f"{label} {n}" for label, n, _ in q.bars)
        sheet.row([q.position, q.question.text, q.answered,
                   f"{q.rate}%" if q.rate is not None else "", spread])
    scale = results.scale_questions
    for cut, label in CUTS.items():
        rows = results.cuts.get(cut, [])
        cut_sheet = book.sheet(f"按{label}", widths=[24, 10, 12] + [12] * len(scale),
                               freeze="B2")
        cut_sheet.header([label, "答卷", "满意率"] + [f"第{q.position}题" for q in scale])
        for row in rows:
            if row.suppressed:
                cut_sheet.row([row.label, f"少于 {results.min_answers} 份或为防推算，不单独显示"])
                continue
            cut_sheet.row([row.label, row.responses, _pct(row.rate)]
                          + [_pct(row.question_rate(q.question.pk, results.min_answers))
                             for q in scale])
    texts = book.sheet("意见建议", widths=[60])
    for q in results.questions:
        if q.question.kind != Question.Kind.TEXT:
            continue
        texts.header([f"第{q.position}题 {q.question.text}"])
        for text in results.texts.get(q.question.pk, []):
            texts.row([text])
    return book.to_bytes()


def _pct(value) -> str:
    return f"{value}%" if value is not None else "—"
