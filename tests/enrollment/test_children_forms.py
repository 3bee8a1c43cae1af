"""What the guardian's panel says of each child's form and its agreement, in one query."""

import pytest

from enrollment.models import Application
from enrollment.selectors import children_forms

from .factories import AgreementFactory, ApplicationFactory

pytestmark = pytest.mark.django_db


def states(world, children):
    return {f.student.pk: (f.signature, f.next_url_name)
            for f in children_forms(children=children, term=world.term)}


def test_the_agreement_state_of_each_form(world, django_assert_num_queries):
    child, sibling, other = world.child, world.sibling, world.other_child
    ApplicationFactory(student=child, term=world.term, status=Application.Status.SUBMITTED)
    ApplicationFactory(student=sibling, term=world.term, participates=False,
                       status=Application.Status.SUBMITTED)
    assert states(world, [child, sibling, other]) == {
        child.pk: ("missing", "detail"), sibling.pk: ("not_needed", "detail"),
        other.pk: ("", "start")}

    first = AgreementFactory(term=world.term)
    assert states(world, [child])[child.pk] == ("unsigned", "detail")
    Application.objects.get(student=child).signatures.create(agreement=first, signed_name="王丽")
    assert states(world, [child])[child.pk] == ("current", "detail")
    AgreementFactory(term=world.term)  # a new version: the signature is of the old one
    assert states(world, [child])[child.pk] == ("outdated", "sign")
    with django_assert_num_queries(1):
        children_forms(children=[child, sibling, other], term=world.term)
