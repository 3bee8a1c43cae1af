"""Retention: ``purge_expired`` on an old term (and a recent one it must leave alone), the dry
run, idempotence, the per-school setting, the command's report and the beat entry."""

import datetime as dt
import os
from io import StringIO
from unittest import mock

import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.utils import timezone

from afterschool.models import ImportJob
from attendance.models import Dismissal, DutyHandover, PickupChange, PickupCode
from enrollment.models import Application, PickupPerson
from privacy.anonymise import ERASED
from privacy.models import RetentionPolicy
from privacy.retention import purge_expired
from privacy.tasks import purge_expired_task
from tests import factories as f

pytestmark = pytest.mark.django_db
OLD_DAY = dt.date(2023, 5, 10)
NEW_DAY = dt.date(2024, 11, 4)
# A year after the world's term (ends 2025-01-17) started; the old term ended 2023-06-30.
TODAY = dt.date(2025, 3, 1)


def _aware(day, hour=12):
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


def rows_on(world, term, day, n):
    """A form with health details and a pickup person, a one-day pickup person, a pickup code,
    a dismissal to a named person and a handover to an unlisted one, on ``day``."""
    app = Application.objects.create(
        school=world.school, term=term, student=world.child, status="placed", participates=True,
        dismissal="picked_up", health_notes="哮喘", allergies="花生", contact_phone="15800000000")
    PickupPerson.objects.create(application=app, name=f"爷爷{n}", relation="爷爷",
                                phone="15900000000")
    PickupChange.objects.create(student=world.child, date=day, name=f"外婆{n}", relation="外婆",
                                phone="15700000000")
    code = PickupCode.objects.create(school=world.school, student=world.child, date=day,
                                     code=f"00000{n}", person_name=f"外婆{n}",
                                     person_relation="外婆", expires_at=_aware(day, 20))
    Dismissal.objects.create(school=world.school, student=world.child, date=day,
                             method="picked_up", via="code", to_name=f"外婆{n}",
                             to_relation="外婆", to_phone="15700000000", pickup_code=code,
                             released_as="tutor")
    Dismissal.objects.create(school=world.school, student=world.sibling, date=day,
                             method="bus", via="group", bus_route="1路", to_name="1路",
                             released_as="tutor")
    DutyHandover.objects.create(school=world.school, student=world.child, date=day,
                                reason="unlisted", person_name=f"舅舅{n}",
                                person_relation="舅舅", person_phone="15600000000")
    return app


def upload(world, day, name):
    job = ImportJob(school=world.school, kind="students", original_name=f"{name}.xlsx",
                    created_by=world.coordinator, status="done", created_at=_aware(day),
                    errors=[{"row": 3, "message": "第 3 行：张小明 手机号 1380013 无效"}])
    job.file.save(f"{name}.xlsx", ContentFile(b"roster"), save=False)
    job.save()
    return job


@pytest.fixture
def old_and_new(world, tmp_path, settings):
    settings.PRIVATE_MEDIA_ROOT = str(tmp_path / "private")
    old_term = f.TermFactory(school=world.school, name="2022—2023学年第二学期", is_current=False,
                             start_date=dt.date(2023, 2, 20), end_date=dt.date(2023, 6, 30))
    old_app = rows_on(world, old_term, OLD_DAY, 1)
    new_app = rows_on(world, world.term, NEW_DAY, 2)
    old_job, new_job = upload(world, OLD_DAY, "old"), upload(world, NEW_DAY, "new")
    return {"old_app": old_app, "new_app": new_app, "old_job": old_job, "new_job": new_job}


EXPECTED = {"applications": 1, "pickup_persons": 1, "pickup_changes": 1, "pickup_codes": 1,
            "dismissals": 2, "duty_handovers": 1, "import_files": 1}


def test_the_old_term_is_cleared_and_the_recent_one_kept(world, old_and_new):
    old_file = old_and_new["old_job"].file.path
    assert os.path.exists(old_file)
    report = purge_expired(today=TODAY)
    [(expiry, counts)] = report.schools
    assert expiry.boundary == dt.date(2023, 6, 30) and expiry.retention_days == 365
    assert dict(counts) == EXPECTED

    old = Application.objects.get(pk=old_and_new["old_app"].pk)
    assert (old.health_notes, old.allergies, old.contact_phone, old.status) == (
        "", "", "", "placed")
    assert not PickupPerson.objects.filter(application=old).exists()
    assert not PickupChange.objects.filter(date=OLD_DAY).exists()
    assert not PickupCode.objects.filter(date=OLD_DAY).exists()
    picked = Dismissal.objects.get(date=OLD_DAY, method="picked_up")
    assert (picked.to_name, picked.to_relation, picked.to_phone) == (ERASED, "", "")
    assert Dismissal.objects.get(date=OLD_DAY, method="bus").to_name == ""
    handover = DutyHandover.objects.get(date=OLD_DAY)
    assert (handover.person_name, handover.person_phone) == (ERASED, "")
    job = ImportJob.objects.get(pk=old_and_new["old_job"].pk)
    assert (job.file.name, job.errors, job.original_name) == ("", [], "old.xlsx")
    assert not os.path.exists(old_file)

    # The recent term keeps everything.
    new = Application.objects.get(pk=old_and_new["new_app"].pk)
    assert (new.health_notes, new.allergies, new.contact_phone) == ("哮喘", "花生", "15800000000")
    assert PickupPerson.objects.filter(application=new).count() == 1
    assert Dismissal.objects.get(date=NEW_DAY, method="picked_up").to_name == "外婆2"
    assert PickupChange.objects.filter(date=NEW_DAY).exists()
    assert DutyHandover.objects.get(date=NEW_DAY).person_phone == "15600000000"
    new_job = ImportJob.objects.get(pk=old_and_new["new_job"].pk)
    assert new_job.file.name and os.path.exists(new_job.file.path) and new_job.errors


def test_a_dry_run_counts_the_same_and_changes_nothing_and_a_second_run_finds_nothing(
        world, old_and_new):
    dry = purge_expired(today=TODAY, dry_run=True)
    assert dict(dry.schools[0][1]) == EXPECTED
    assert Application.objects.get(pk=old_and_new["old_app"].pk).health_notes == "哮喘"
    assert ImportJob.objects.get(pk=old_and_new["old_job"].pk).file.name
    purge_expired(today=TODAY)
    again = purge_expired(today=TODAY)
    assert sum(again.totals.values()) == 0
    assert sum(purge_expired(today=TODAY, dry_run=True).totals.values()) == 0


def test_the_school_setting_decides_what_has_expired(world, old_and_new):
    # Three years and more: nothing has expired yet on TODAY.
    RetentionPolicy.objects.create(school=world.school, retention_days=1000)
    assert purge_expired(today=TODAY).schools == []
    assert Application.objects.get(pk=old_and_new["old_app"].pk).health_notes == "哮喘"
    # Thirty days: the world's term (ended 2025-01-17) has expired too.
    RetentionPolicy.objects.filter(school=world.school).update(retention_days=30)
    report = purge_expired(today=TODAY)
    assert report.schools[0][0].boundary == dt.date(2025, 1, 17)
    assert report.totals["applications"] == 2
    assert Application.objects.get(pk=old_and_new["new_app"].pk).health_notes == ""


def test_the_command_prints_counts_and_dry_run_changes_nothing(world, old_and_new):
    out = StringIO()
    with mock.patch.object(timezone, "localdate", return_value=TODAY):
        call_command("purge_expired", "--dry-run", stdout=out)
    text = out.getvalue()
    assert "试运行：只统计，不做任何修改。" in text
    assert "莒县第四实验小学（保存期限 365 天，2023年06月30日及以前结束的学期）：" in text
    assert "意向书（健康情况、过敏史、紧急联系电话）：将清除 1 条" in text
    assert "放学交接接收人：将清除 2 条" in text
    assert "合计将清除 8 条" in text
    assert "超过 180 天的访问记录：将清除 0 条；家长下载记录：将清除 0 条。" in text
    assert Application.objects.get(pk=old_and_new["old_app"].pk).health_notes == "哮喘"
    out = StringIO()
    with mock.patch.object(timezone, "localdate", return_value=TODAY):
        call_command("purge_expired", stdout=out)
        assert "合计已清除 8 条" in out.getvalue()
        assert purge_expired_task.delay().get() == 0   # the beat's task, run again: nothing left
    assert Application.objects.get(pk=old_and_new["old_app"].pk).health_notes == ""


def test_the_logs_go_after_their_own_retention(world, settings):
    from afterschool.access import actor_for
    from afterschool.audit import log_access
    from afterschool.models import SensitiveAccess
    from privacy.models import DataExport

    settings.ACCESS_LOG_RETENTION_DAYS = 180
    log_access(None, actor_for(world.tutor.user, world.school), [world.child, world.sibling],
               place="点名", kinds=["health"])
    SensitiveAccess.objects.filter(student=world.child).update(at=_aware(dt.date(2024, 8, 1)))
    DataExport.objects.create(school=world.school, guardian=world.guardian,
                              at=_aware(dt.date(2024, 8, 1)))
    DataExport.objects.create(school=world.school, guardian=world.guardian,
                              at=_aware(dt.date(2025, 2, 1)))
    dry = purge_expired(today=TODAY, dry_run=True)
    assert (dry.access_log, dry.downloads) == (1, 1) and SensitiveAccess.objects.count() == 2
    report = purge_expired(today=TODAY)
    assert (report.access_log, report.downloads) == (1, 1)
    assert list(SensitiveAccess.objects.values_list("student", flat=True)) == [world.sibling.pk]
    assert DataExport.objects.get().at.date() == dt.date(2025, 2, 1)
    again = purge_expired(today=TODAY)
    assert (again.access_log, again.downloads) == (0, 0)


def test_the_beat_runs_it_nightly():
    entry = settings.CELERY_BEAT_SCHEDULE["privacy-purge-expired"]
    assert entry["task"] == "privacy.tasks.purge_expired_task"
    assert entry["schedule"].hour == {3}
