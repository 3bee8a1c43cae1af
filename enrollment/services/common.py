"""What enrollment's services share: rights checks, validation, the row lock, insert-once."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models import Model

from afterschool.access import Actor
from afterschool.models import Role

from .. import exceptions
from ..access import is_guardian_of
from ..models import Application

Status = Application.Status


def status_label(status: str) -> str:
    return Status(status).label


def require_guardian(actor: Actor, student_id: int) -> None:
    if not is_guardian_of(actor, student_id):
        raise exceptions.NotAGuardian()


def require_coordinator(actor: Actor, school_id: int) -> None:
    if (actor is None or not actor.has(Role.COORDINATOR) or actor.school is None
            or actor.school.pk != school_id):
        raise exceptions.EnrollmentError(exceptions.COORDINATOR_ONLY)


def full_clean(obj: Model, **kwargs) -> None:
    # A null-but-not-blank foreign key (created_by, actor) is legitimately empty for the
    # system actor; everything else is validated.
    exclude = [name for name in ("created_by", "actor", "signed_by", "published_by")
               if hasattr(obj, f"{name}_id") and getattr(obj, f"{name}_id") is None]
    obj.full_clean(exclude=exclude or None, **kwargs)


def create_once(obj: Model, **lookup) -> tuple[Model, bool]:
    """Insert ``obj``, or return the row a concurrent request inserted first.

    The unique constraint decides, not a prior SELECT: two requests that both found nothing
    both try to insert; the loser's INSERT waits for the winner's commit, fails with
    IntegrityError, and fetches the winner's row.
    """
    model = type(obj)
    full_clean(obj, validate_constraints=False)
    try:
        with transaction.atomic():
            obj.save()
    except IntegrityError:
        return model.objects.get(**lookup), False
    return obj, True


def lock_application(application: Application) -> Application:
    return (Application.objects.select_for_update(of=("self",))
            .select_related("student__homeroom", "term", "school")
            .get(pk=application.pk))

