"""Everything the school holds about one guardian and their children, as a .zip of JSON and .xlsx
(PIPL art. 45: the family's copy of its data).

Every section is read for this guardian's own children only (the students linked to this
guardian row, former pupils included) and this guardian's own login, with one query per section
whatever the family's size; the classmates who shared a homeroom, a section or a lesson appear
nowhere. A co-guardian of the same child appears by name and relation, the phone masked: they
are the same family, but their number is theirs.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import zipfile
from dataclasses import dataclass, field

from django.utils import timezone

from afterschool.access import Actor
from afterschool.audit import viewer_for_family
from afterschool.cleaning import mask_phone
from afterschool.formatting import weekdays_text
from afterschool.models import AccountEvent, Notice, SensitiveAccess, Student, StudentGuardian
from afterschool.xlsx import Book
from arrangement.models import Arrangement, Placement
from attendance.models import (
    AbsenceAlert,
    AttendanceRecord,
    Dismissal,
    DutyHandover,
    LeaveRequest,
    PickupChange,
    PickupCode,
)
from enrollment.models import (
    Application,
    ApplicationTransition,
    PickupPerson,
    Preference,
    Signature,
)
from enrollment.selectors import consents_of
from surveys.models import SurveyAnswer

from .anonymise import child_responses, published_surveys
from .models import DataExport, DataRequest, DataRequestChange

README = """本压缩包是学校课后服务管理系统中保存的、关于您本人和您孩子的全部个人信息（导出时间：{at}）。

- 数据.json：机器可读的完整数据，每一部分的中文名称和每一列的含义见其中的 "labels"。
- 数据.xlsx：同样的内容，每一部分一张工作表，可用 Excel 或 WPS 打开。

如发现信息有误，可在系统“我的个人信息”页面提出更正申请；如希望删除孩子的信息，可提出删除申请。
学校将在 15 个工作日内办理，或书面说明不予办理的法定理由。
"""


@dataclass
class Section:
    """One part of the download: a sheet in the workbook, a list in the JSON."""

    key: str
    title: str
    columns: list[tuple[str, str]]           # (key, 中文列名)
    rows: list[dict] = field(default_factory=list)


def _moment(value: dt.datetime | None) -> str:
    return f"{timezone.localtime(value):%Y-%m-%d %H:%M}" if value else ""


def _day(value: dt.date | None) -> str:
    return value.isoformat() if value else ""


def _yes(value) -> str:
    return "" if value is None else ("是" if value else "否")


def family_sections(actor: Actor) -> list[Section]:
    """The family's data, section by section: a constant number of queries."""
    guardian = actor.guardian
    # Former pupils too (``is_active`` off): still the family's data, so not children_of.
    children = list(Student.objects.filter(school=actor.school, guardian_links__guardian=guardian)
                    .select_related("homeroom__grade").distinct()
                    .order_by("homeroom__grade__number", "name", "pk"))
    ids = [c.pk for c in children]
    name_of = {c.pk: c.name for c in children}
    sections: list[Section] = []

    sections.append(Section("guardian", "家长本人", [
        ("name", "姓名"), ("phone", "手机号"), ("email", "电子邮箱"), ("school", "学校"),
        ("activated_at", "账号激活时间"), ("login_phone", "登录手机号")], [{
            "name": guardian.name, "phone": guardian.phone, "email": guardian.email,
            "school": actor.school.name, "activated_at": _moment(guardian.activated_at),
            "login_phone": getattr(actor.user, "phone", "")}]))

    links = (StudentGuardian.objects.filter(student_id__in=ids)
             .select_related("guardian").order_by("student_id", "pk"))
    relation, co_guardians = {}, {}
    for link in links:
        if link.guardian_id == guardian.pk:
            relation[link.student_id] = link.relation
        else:
            co_guardians.setdefault(link.student_id, []).append(
                f"{link.guardian.name}（{link.relation or '监护人'}，{mask_phone(link.guardian.phone)}）")
    sections.append(Section("children", "孩子", [
        ("name", "姓名"), ("student_no", "学籍号"), ("gender", "性别"), ("homeroom", "班级"),
        ("boarder", "寄宿"), ("relation", "您与孩子的关系"), ("co_guardians", "其他监护人")], [{
            "name": c.name, "student_no": c.student_no, "gender": c.get_gender_display(),
            "homeroom": c.homeroom.name, "boarder": _yes(c.is_boarder),
            "relation": relation.get(c.pk, ""), "co_guardians": "；".join(co_guardians.get(c.pk, []))}
            for c in children]))

    applications = list(Application.objects.filter(student_id__in=ids)
                        .select_related("term").order_by("student_id", "term__start_date"))
    sections.append(Section("applications", "课后服务意向书", [
        ("child", "孩子"), ("term", "学期"), ("status", "状态"), ("participates", "参加课后服务"),
        ("weekdays", "参加日"), ("dismissal", "离校方式"), ("alone_consent", "同意自行回家"),
        ("bus_route", "校车线路"), ("health_notes", "健康情况"), ("allergies", "过敏史"),
        ("contact_phone", "紧急联系电话"), ("created_at", "创建时间"), ("submitted_at", "提交时间"),
        ("decision_comment", "审核意见"), ("withdrawn_on", "退出生效日期"),
        ("withdraw_reason", "退出原因")], [{
            "child": name_of[a.student_id], "term": a.term.name, "status": a.get_status_display(),
            "participates": _yes(a.participates), "weekdays": weekdays_text(a.weekdays or []),
            "dismissal": a.get_dismissal_display(), "alone_consent": _yes(a.alone_consent),
            "bus_route": a.bus_route, "health_notes": a.health_notes, "allergies": a.allergies,
            "contact_phone": a.contact_phone, "created_at": _moment(a.created_at),
            "submitted_at": _moment(a.submitted_at), "decision_comment": a.decision_comment,
            "withdrawn_on": _day(a.withdrawn_on), "withdraw_reason": a.withdraw_reason}
            for a in applications]))
    term_of = {a.pk: (name_of[a.student_id], a.term.name) for a in applications}

    sections.append(Section("preferences", "志愿", [
        ("child", "孩子"), ("term", "学期"), ("rank", "志愿顺序"), ("course", "课程")], [{
            "child": term_of[p.application_id][0], "term": term_of[p.application_id][1],
            "rank": p.rank, "course": p.course.name}
            for p in Preference.objects.filter(application_id__in=list(term_of))
            .select_related("course").order_by("application_id", "rank")]))

    sections.append(Section("application_history", "意向书流转记录", [
        ("child", "孩子"), ("term", "学期"), ("at", "时间"), ("from", "原状态"), ("to", "新状态"),
        ("comment", "说明")], [{
            "child": term_of[t.application_id][0], "term": term_of[t.application_id][1],
            "at": _moment(t.at), "from": t.get_from_status_display(),
            "to": t.get_to_status_display(), "comment": t.comment}
            for t in ApplicationTransition.objects.filter(application_id__in=list(term_of))
            .order_by("application_id", "at", "pk")]))

    sections.append(Section("signatures", "协议签署", [
        ("child", "孩子"), ("term", "学期"), ("version", "协议版本"), ("signed_name", "签名"),
        ("signed_at", "签署时间"), ("ip_address", "IP 地址")], [{
            "child": term_of[s.application_id][0], "term": term_of[s.application_id][1],
            "version": s.agreement.version, "signed_name": s.signed_name,
            "signed_at": _moment(s.signed_at), "ip_address": s.ip_address or ""}
            for s in Signature.objects.filter(application_id__in=list(term_of))
            .select_related("agreement").order_by("application_id", "signed_at")]))

    sections.append(Section("consents", "个人信息处理同意", [
        ("child", "孩子"), ("kind", "同意事项"), ("version", "告知书版本"), ("given_by", "同意人"),
        ("given_at", "同意时间"), ("ip_address", "IP 地址"), ("withdrawn_at", "撤回时间"),
        ("withdrawn_by", "撤回人"), ("withdraw_reason", "撤回原因")], [{
            "child": name_of.get(c.student_id, c.student.name), "kind": c.get_kind_display(),
            "version": c.notice.version, "given_by": c.giver_name,
            "given_at": _moment(c.given_at), "ip_address": c.ip_address or "",
            "withdrawn_at": _moment(c.withdrawn_at), "withdrawn_by": c.withdrawer_name,
            "withdraw_reason": c.withdraw_reason}
            for c in consents_of(guardian=guardian).filter(student_id__in=ids)]))

    sections.append(Section("pickup_persons", "授权接送人", [
        ("child", "孩子"), ("term", "学期"), ("name", "姓名"), ("relation", "与孩子关系"),
        ("phone", "手机号")], [{
            "child": term_of[p.application_id][0], "term": term_of[p.application_id][1],
            "name": p.name, "relation": p.relation, "phone": p.phone}
            for p in PickupPerson.objects.filter(application_id__in=list(term_of))
            .order_by("application_id", "pk")]))

    sections.append(Section("placements", "统筹安排结果", [
        ("child", "孩子"), ("term", "学期"), ("course", "课程"), ("section", "教学班"),
        ("rank", "志愿"), ("ended_on", "结束日期")], [{
            "child": name_of[p.student_id], "term": p.arrangement.term.name,
            "course": p.course.name, "section": p.section.name, "rank": p.rank_label,
            "ended_on": _day(p.ended_on)}
            for p in Placement.objects.filter(student_id__in=ids,
                                              arrangement__status=Arrangement.Status.PUBLISHED)
            .select_related("arrangement__term", "course", "section")
            .order_by("student_id", "arrangement__term__start_date", "course__name")]))

    sections.append(Section("attendance", "点名记录", [
        ("child", "孩子"), ("date", "日期"), ("time", "时间"), ("lesson", "课次"),
        ("status", "状态"), ("note", "备注"), ("marked_at", "点名时间")], [{
            "child": name_of[r.student_id], "date": _day(r.lesson.date),
            "time": f"{r.lesson.start_time:%H:%M}", "lesson": r.lesson.title,
            "status": r.get_status_display() or "未点名", "note": r.note,
            "marked_at": _moment(r.marked_at)}
            for r in AttendanceRecord.objects.filter(student_id__in=ids)
            .select_related("lesson").order_by("student_id", "lesson__date",
                                               "lesson__start_time")]))

    sections.append(Section("leave_requests", "请假", [
        ("child", "孩子"), ("start_date", "开始日期"), ("end_date", "结束日期"), ("reason", "原因"),
        ("status", "状态"), ("requested_at", "申请时间"), ("decided_at", "审批时间"),
        ("decision_comment", "审批意见")], [{
            "child": name_of[r.student_id], "start_date": _day(r.start_date),
            "end_date": _day(r.end_date), "reason": r.reason, "status": r.get_status_display(),
            "requested_at": _moment(r.requested_at), "decided_at": _moment(r.decided_at),
            "decision_comment": r.decision_comment}
            for r in LeaveRequest.objects.filter(student_id__in=ids)
            .order_by("student_id", "start_date")]))

    sections.append(Section("pickup_changes", "当日接送人", [
        ("child", "孩子"), ("date", "日期"), ("name", "姓名"), ("relation", "与孩子关系"),
        ("phone", "手机号"), ("created_at", "登记时间")], [{
            "child": name_of[r.student_id], "date": _day(r.date), "name": r.name,
            "relation": r.relation, "phone": r.phone, "created_at": _moment(r.created_at)}
            for r in PickupChange.objects.filter(student_id__in=ids)
            .order_by("student_id", "date", "pk")]))

    sections.append(Section("pickup_codes", "接送码", [
        ("child", "孩子"), ("date", "日期"), ("person", "接送人"), ("relation", "与孩子关系"),
        ("phone", "手机号"), ("used_at", "使用时间")], [{
            "child": name_of[r.student_id], "date": _day(r.date), "person": r.person_name,
            "relation": r.person_relation, "phone": r.person_phone,
            "used_at": _moment(r.used_at)}
            for r in PickupCode.objects.filter(student_id__in=ids).order_by("student_id", "date")]))

    sections.append(Section("dismissals", "放学交接", [
        ("child", "孩子"), ("date", "日期"), ("method", "离校方式"), ("via", "交接依据"),
        ("to_name", "接收人"), ("to_relation", "与孩子关系"), ("to_phone", "接收人电话"),
        ("bus_route", "校车线路"), ("note", "说明"), ("released_at", "交接时间")], [{
            "child": name_of[r.student_id], "date": _day(r.date),
            "method": r.get_method_display(), "via": r.get_via_display(), "to_name": r.to_name,
            "to_relation": r.to_relation, "to_phone": r.to_phone, "bus_route": r.bus_route,
            "note": r.note, "released_at": _moment(r.released_at)}
            for r in Dismissal.objects.filter(student_id__in=ids).order_by("student_id", "date")]))

    sections.append(Section("duty_handovers", "移交值日教师", [
        ("child", "孩子"), ("date", "日期"), ("reason", "原因"), ("person", "来接人"),
        ("relation", "与孩子关系"), ("phone", "来接人电话"), ("handed_at", "移交时间")], [{
            "child": name_of[r.student_id], "date": _day(r.date),
            "reason": r.get_reason_display(), "person": r.person_name,
            "relation": r.person_relation, "phone": r.person_phone,
            "handed_at": _moment(r.handed_at)}
            for r in DutyHandover.objects.filter(student_id__in=ids)
            .order_by("student_id", "date")]))

    sections.append(Section("absence_alerts", "缺勤提醒", [
        ("child", "孩子"), ("date", "日期"), ("lesson", "课次"), ("status", "状态"),
        ("raised_at", "提醒时间"), ("handled_at", "处理时间"), ("outcome", "处理结果")], [{
            "child": name_of[r.student_id], "date": _day(r.lesson.date), "lesson": r.lesson.title,
            "status": r.get_status_display(), "raised_at": _moment(r.raised_at),
            "handled_at": _moment(r.handled_at), "outcome": r.outcome}
            for r in AbsenceAlert.objects.filter(student_id__in=ids).select_related("lesson")
            .order_by("student_id", "raised_at")]))

    surveys = published_surveys(actor.school.pk)
    child_of = {}
    for child in children:
        for response in child_responses(child, surveys):
            child_of[response.pk] = child.name
    answers = [{"child": child_of[a.response_id], "survey": a.question.survey.title,
                "question": a.question.text,
                "answer": a.scale if a.scale is not None else (a.choice or a.text)}
               for a in SurveyAnswer.objects.filter(response_id__in=list(child_of))
               .select_related("question__survey")
               .order_by("response_id", "question__number")]
    sections.append(Section("survey_answers", "满意度调查答卷", [
        ("child", "孩子"), ("survey", "调查"), ("question", "题目"), ("answer", "回答")], answers))

    notices = (Notice.objects.filter(user=actor.user, school=actor.school)
               .prefetch_related("deliveries").order_by("created_at", "pk"))
    sections.append(Section("notices", "收到的通知", [
        ("title", "标题"), ("body", "内容"), ("created_at", "时间"), ("read_at", "已读时间"),
        ("deliveries", "短信和邮件")], [{
            "title": n.title, "body": n.body, "created_at": _moment(n.created_at),
            "read_at": _moment(n.read_at),
            "deliveries": "；".join(f"{d.get_channel_display()} {d.address} {d.get_status_display()}"
                                   for d in n.deliveries.all())}
            for n in notices]))

    sections.append(Section("account_events", "账号记录", [
        ("kind", "事项"), ("at", "时间"), ("ip_address", "IP 地址"), ("detail", "说明")], [{
            "kind": ev.get_kind_display(), "at": _moment(ev.at), "ip_address": ev.ip_address or "",
            "detail": ev.detail}
            for ev in AccountEvent.objects.filter(school=actor.school, guardian=guardian)
            .order_by("at", "pk")]))

    requests = list(DataRequest.objects.filter(guardian=guardian).select_related("student")
                    .order_by("created_at", "pk"))
    sections.append(Section("data_requests", "个人信息申请", [
        ("kind", "类型"), ("subject", "涉及"), ("text", "申请内容"), ("status", "状态"),
        ("legal_reason", "不予办理的理由"), ("outcome", "办理说明"), ("created_at", "提交时间"),
        ("decided_at", "办理时间")], [{
            "kind": r.get_kind_display(), "subject": r.subject_label, "text": r.text,
            "status": r.get_status_display(), "legal_reason": r.get_legal_reason_display(),
            "outcome": r.outcome, "created_at": _moment(r.created_at),
            "decided_at": _moment(r.decided_at)} for r in requests]))
    sections.append(Section("data_request_history", "个人信息申请记录", [
        ("request", "申请"), ("at", "时间"), ("from", "原状态"), ("to", "新状态"),
        ("comment", "说明")], [{
            "request": f"{c.request.get_kind_display()}（{c.request.created_at:%Y-%m-%d}）",
            "at": _moment(c.at), "from": c.get_from_status_display(),
            "to": c.get_to_status_display(), "comment": c.comment}
            for c in DataRequestChange.objects.filter(request__guardian=guardian)
            .select_related("request").order_by("at", "pk")]))

    sections.append(Section("access_log", "孩子信息的访问记录", [
        ("child", "孩子"), ("at", "时间"), ("viewer", "查看人"), ("kinds", "查看内容"),
        ("place", "页面或文件"), ("export", "导出")], [{
            "child": name_of[a.student_id], "at": _moment(a.at), "viewer": viewer_for_family(a),
            "kinds": "、".join(a.kind_labels), "place": a.place, "export": _yes(a.is_export)}
            for a in SensitiveAccess.objects.filter(school=actor.school, student_id__in=ids)
            .order_by("student_id", "at", "pk")]))

    sections.append(Section("downloads", "下载记录", [
        ("at", "时间"), ("ip_address", "IP 地址")], [{
            "at": _moment(d.at), "ip_address": d.ip_address or ""}
            for d in DataExport.objects.filter(guardian=guardian).order_by("at", "pk")]))
    return sections


def family_zip(actor: Actor, *, sections: list[Section] | None = None,
               now: dt.datetime | None = None) -> bytes:
    """The .zip: 说明.txt, 数据.json and 数据.xlsx with the same sections."""
    now = now or timezone.now()
    sections = family_sections(actor) if sections is None else sections
    data = {
        "exported_at": timezone.localtime(now).isoformat(),
        "school": actor.school.name,
        "labels": {s.key: {"title": s.title, "columns": dict(s.columns)} for s in sections},
        **{s.key: s.rows for s in sections},
    }
    book = Book()
    for s in sections:
        sheet = book.sheet(s.title, widths=[14] * len(s.columns), freeze="A2")
        sheet.header([title for _, title in s.columns])
        for row in s.rows:
            sheet.row([row.get(key, "") for key, _ in s.columns])
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("说明.txt", README.format(at=f"{timezone.localtime(now):%Y-%m-%d %H:%M}"))
        archive.writestr("数据.json", json.dumps(data, ensure_ascii=False, indent=2))
        archive.writestr("数据.xlsx", book.to_bytes())
    return buffer.getvalue()
