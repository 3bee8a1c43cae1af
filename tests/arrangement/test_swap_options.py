"""The adjustment page loads each student's swap partners when that form is opened (htmx)."""

import pytest
from django.urls import reverse

from afterschool.access import actor_for

from .factories import run_now, small_term

pytestmark = pytest.mark.django_db


@pytest.fixture
def draft(world, django_capture_on_commit_callbacks):
    office = actor_for(world.coordinator, world.school)
    st = small_term(world, n_students=9, capacity=3)
    return run_now(st.term, office, django_capture_on_commit_callbacks, seed=4)


def test_the_page_no_longer_lists_every_placement_per_match(world, login, draft):
    run = draft
    placement = run.placements.select_related("student").first()
    client = login(world.coordinator)
    page = client.get(reverse("arrangement:adjust", args=[run.pk]),
                      {"q": placement.student.name}).content.decode()
    options_url = reverse("arrangement:swap_options", args=[run.pk, placement.pk])
    assert f'hx-get="{options_url}"' in page
    # The swap picker holds its placeholder only, whatever the size of the run.
    picker = page.split(f'name="s{placement.pk}-other"', 1)[1].split("</select>", 1)[0]
    assert picker.count("<option") == 1
    assert run.placements.exclude(section_id=placement.section_id).exists()


def test_the_options_are_the_other_sections_placements(world, login, draft,
                                                        django_assert_max_num_queries):
    run = draft
    placement = run.placements.first()
    client = login(world.coordinator)
    url = reverse("arrangement:swap_options", args=[run.pk, placement.pk])
    with django_assert_max_num_queries(8):
        text = client.get(url).content.decode()
    others = set(run.placements.exclude(section_id=placement.section_id)
                 .values_list("pk", flat=True))
    same = set(run.placements.filter(section_id=placement.section_id)
               .values_list("pk", flat=True))
    assert others and all(f'<option value="{pk}">' in text for pk in others)
    assert not any(f'<option value="{pk}">' in text for pk in same)


def test_only_the_office_gets_the_options(world, login, draft):
    run = draft
    url = reverse("arrangement:swap_options", args=[run.pk, run.placements.first().pk])
    assert login(world.guardian.user).get(url).status_code in (403, 404)
    assert login(world.tutor.user).get(url).status_code in (403, 404)
