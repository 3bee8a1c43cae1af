"""Who may see which data requests: decided here, once.

- A guardian sees the requests they made (``guardian`` is their row in this school).
- The office (coordinators) sees and decides the school's requests; the principal reads them.
- Nobody else: teachers do not learn which family asked for what.
"""

from __future__ import annotations

from django.db.models import QuerySet

from afterschool.access import Actor
from afterschool.models import Role

from .models import DataRequest

OFFICE = (Role.COORDINATOR,)
READERS = (Role.COORDINATOR, Role.PRINCIPAL)


def data_requests_visible_to(actor: Actor) -> QuerySet[DataRequest]:
    qs = DataRequest.objects.select_related("guardian", "student__homeroom__grade", "decided_by")
    if actor.school is None:
        return qs.none()
    qs = qs.filter(school=actor.school)
    if actor.has(*READERS):
        return qs
    if actor.has(Role.GUARDIAN) and actor.guardian is not None:
        return qs.filter(guardian=actor.guardian)
    return qs.none()


def own_requests(actor: Actor) -> QuerySet[DataRequest]:
    """The guardian's own requests, whatever other role the login holds here."""
    if actor.school is None or actor.guardian is None:
        return DataRequest.objects.none()
    return (DataRequest.objects.filter(school=actor.school, guardian=actor.guardian)
            .select_related("guardian", "student__homeroom__grade", "decided_by"))
