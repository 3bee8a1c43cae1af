"""factory_boy factories for enrollment (and the course rows its forms rank)."""

import datetime as dt

import factory
from django.utils import timezone

from enrollment.models import Agreement, Application, PickupPerson, Signature
from tests import factories as core

Status = Application.Status


class AgreementFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Agreement

    term = factory.SubFactory(core.TermFactory)
    version = factory.Sequence(lambda n: n + 1)
    service_text = "课后服务协议正文"
    safety_text = "安全责任书正文"


class ApplicationFactory(factory.django.DjangoModelFactory):
    """A complete, participating form; ``signed=agreement`` adds a signature of that version."""

    class Meta:
        model = Application
        skip_postgeneration_save = True

    student = factory.SubFactory(core.StudentFactory)
    school = factory.SelfAttribute("student.school")
    term = factory.SubFactory(core.TermFactory, school=factory.SelfAttribute("..school"))
    status = Status.DRAFT
    participates = True
    weekdays = [1, 2, 3, 4]
    dismissal = Application.Dismissal.PICKED_UP
    contact_phone = "13800138000"
    withdrawn_on = factory.LazyAttribute(
        lambda o: timezone.localdate() if o.status == Status.WITHDRAWN else None)
    withdraw_reason = factory.LazyAttribute(lambda o: "原因" if o.status == Status.WITHDRAWN else "")

    @factory.post_generation
    def pickups(self, create, extracted, **kwargs):
        if create and self.dismissal == Application.Dismissal.PICKED_UP and extracted is not False:
            PickupPerson.objects.create(application=self, name="张爷爷", relation="爷爷",
                                        phone="13900139000")

    @factory.post_generation
    def signed(self, create, extracted, **kwargs):
        if create and extracted:
            Signature.objects.create(application=self, agreement=extracted, signed_name="王丽",
                                     signed_at=timezone.now() - dt.timedelta(minutes=5))
