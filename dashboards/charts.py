"""Chart.js configurations of the dashboards (drawn by ``static/js/charts.js``); every chart
has a table with the same figures on the page."""

from __future__ import annotations

BLUE, GREEN, AMBER, GREY, RED, LIGHT = ("#0a58ca", "#146c43", "#b58105", "#adb5bd", "#b02a37",
                                        "#9ec5fe")
STACK = (("present", "出勤", GREEN), ("late", "迟到", AMBER), ("leave", "请假", BLUE),
         ("absent", "缺勤", RED), ("missing", "未点名", GREY))


def _percent_axis(horizontal: bool = False) -> dict:
    axis = "x" if horizontal else "y"
    return {axis: {"min": 0, "max": 100, "title": {"display": True, "text": "%"}}}


def bars(labels, values, *, label: str, color: str = BLUE, horizontal: bool = False,
         percent: bool = False) -> dict:
    options = {"plugins": {"legend": {"display": False}}}
    if horizontal:
        options["indexAxis"] = "y"
    if percent:
        options["scales"] = _percent_axis(horizontal)
    return {"type": "bar", "data": {"labels": list(labels), "datasets": [
        {"label": label, "data": list(values), "backgroundColor": color}]},
        "options": options}


def stacked_attendance(periods) -> dict:
    return {"type": "bar", "data": {
        "labels": [p.label for p in periods],
        "datasets": [{"label": text, "data": [getattr(p, name) for p in periods],
                      "backgroundColor": color} for name, text, color in STACK]},
        "options": {"scales": {"x": {"stacked": True}, "y": {"stacked": True,
                                                              "title": {"display": True,
                                                                        "text": "人次"}}}}}


def trend(labels, series: list[tuple[str, list, str]]) -> dict:
    return {"type": "line", "data": {"labels": list(labels), "datasets": [
        {"label": name, "data": values, "borderColor": color, "backgroundColor": color,
         "tension": 0.2, "spanGaps": True} for name, values, color in series]},
        "options": {"scales": {"y": {"suggestedMin": 80, "max": 100,
                                     "title": {"display": True, "text": "%"}}}}}
