"""The measured indicators of the assessment, per teacher, and the score they make.

Each indicator is a sub-score from 0 to 100, or *absent* (``None``) when there is nothing to
measure it by — a teacher with no lesson due has no completion rate, and guardians'
satisfaction has no survey to read yet. An absent indicator is left out of the weighted mean
(its weight shared among the others), never counted as zero; the breakdown says why it is
absent. The weights and penalties come from the school's scheme (a snapshot dict).

- 课次完成: delivered ÷ scheduled, lessons due by ``measured_until``;
- 按时点名: roll calls on time ÷ delivered;
- 巡查情况: 100 − penalty × patrol findings against the teacher (late, absent, misuse);
- 整改情况: 100 − penalty × follow-ups still open;
- 家长满意度: the share of 满意 and 非常满意 among the answers about the teacher in the term's
  published satisfaction surveys (``surveys.selectors.satisfaction_by_tutor``: the families of
  the children the tutor taught), present only with enough answers — the survey's own minimum
  and the scheme's.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from afterschool.models import Term
from surveys.models import Survey
from surveys.selectors import satisfaction_by_tutor

from ..display import INDICATORS
from . import duties
from .ledger import StaffCounts

TENTH = Decimal("0.1")


@dataclass
class Indicator:
    code: str
    weight: int
    value: float | None          # 0–100, or None: absent
    detail: str

    @property
    def label(self) -> str:
        return INDICATORS[self.code]

    def as_dict(self) -> dict:
        return {"code": self.code, "label": self.label, "weight": self.weight,
                "value": self.value, "detail": self.detail}


@dataclass
class Score:
    staff_id: int
    scheduled: int
    indicators: list[Indicator] = field(default_factory=list)

    @property
    def score(self) -> Decimal | None:
        present = [i for i in self.indicators if i.value is not None and i.weight > 0]
        weight = sum(i.weight for i in present)
        if not weight:
            return None
        total = sum(Decimal(str(i.value)) * i.weight for i in present) / weight
        return total.quantize(TENTH, rounding=ROUND_HALF_UP)


def _pct(part: int, whole: int) -> float:
    return round(100 * part / whole, 1)


def term_of(school, first: dt.date, last: dt.date) -> Term | None:
    """The school's term the period falls in (the one overlapping it most)."""
    terms = list(Term.objects.filter(school=school, start_date__lte=last, end_date__gte=first))
    return max(terms, key=lambda t: (min(t.end_date, last) - max(t.start_date, first)).days,
               default=None)


def surveys_published(school, term: Term) -> bool:
    return Survey.objects.filter(school=school, term=term).exclude(
        status=Survey.Status.DRAFT).exists()


class Satisfaction:
    """The term's satisfaction per tutor, read once for every teacher of an assessment."""

    def __init__(self, school, first: dt.date, last: dt.date, min_answers: int):
        self.term = term_of(school, first, last)
        self.min_answers = min_answers
        self.by_tutor = satisfaction_by_tutor(school, self.term) if self.term else {}
        self.surveyed = bool(self.by_tutor) or (
            self.term is not None and surveys_published(school, self.term))

    def of(self, staff_id: int) -> tuple[float | None, str]:
        if not self.surveyed:
            return None, "本学期尚无家长满意度调查（不计入得分）"
        found = self.by_tutor.get(staff_id)
        if found is None or found.responses < self.min_answers:
            n = found.responses if found else 0
            return None, (f"本学期家长问卷中评价该教师的答卷 {n} 份，不足 {self.min_answers} 份"
                          "（不计入得分）" if n else "本学期家长问卷中没有足够的答卷评价该教师"
                          "（不计入得分）")
        return found.rate, (f"本学期家长问卷 {found.responses} 份答卷，"
                            f"满意 {found.satisfied}/{found.answered}")


def scores(school, counts: dict[int, StaffCounts], first: dt.date, last: dt.date,
           scheme: dict) -> list[Score]:
    """A score for each member of staff with a lesson due in the period."""
    school_id = school.pk
    satisfaction = Satisfaction(school, first, last, scheme["satisfaction_min_answers"])
    findings = duties.findings_by_teacher(school_id, first, last)
    open_follow_ups = duties.open_follow_ups_by_teacher(school_id, first, last)
    patrolled = duties.patrolled_teachers(school_id, first, last)
    out = []
    for staff_id, c in counts.items():
        if not c.scheduled:
            continue
        row = Score(staff_id=staff_id, scheduled=c.scheduled)
        row.indicators.append(Indicator(
            "delivery", scheme["weight_delivery"], _pct(c.delivered, c.scheduled),
            f"应上 {c.scheduled} 节，实上 {c.delivered} 节"))
        if c.delivered:
            row.indicators.append(Indicator(
                "punctual", scheme["weight_punctual"], _pct(c.on_time, c.delivered),
                f"点名 {c.delivered} 次，按时 {c.on_time} 次"))
        else:
            row.indicators.append(Indicator("punctual", scheme["weight_punctual"], None,
                                            "本期没有已点名的课次"))
        n = findings.get(staff_id, 0)
        if staff_id in patrolled or n:
            row.indicators.append(Indicator(
                "patrol", scheme["weight_patrol"],
                float(max(0, 100 - scheme["finding_penalty"] * n)),
                f"巡查发现问题 {n} 次（迟到、缺岗、讲授新课或考试等）" if n
                else "巡查未发现问题"))
        else:
            row.indicators.append(Indicator("patrol", scheme["weight_patrol"], None,
                                            "本期没有巡查到该教师的课"))
        m = open_follow_ups.get(staff_id, 0)
        if staff_id in patrolled or n or m:
            row.indicators.append(Indicator(
                "follow_up", scheme["weight_follow_up"],
                float(max(0, 100 - scheme["follow_up_penalty"] * m)),
                f"未完成整改 {m} 项" if m else "没有未完成的整改"))
        else:
            row.indicators.append(Indicator("follow_up", scheme["weight_follow_up"], None,
                                            "本期没有巡查到该教师的课"))
        value, detail = satisfaction.of(staff_id)
        row.indicators.append(Indicator("satisfaction", scheme["weight_satisfaction"], value,
                                        detail))
        out.append(row)
    return out
