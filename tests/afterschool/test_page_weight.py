"""Issue 10, accessibility and weight: what every page loads, and the markup screen readers read."""

import gzip
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from afterschool.icons import CSS_PATH, build_css, icons_defined, icons_used
from enrollment.models import Application
from tests.enrollment.factories import AgreementFactory, ApplicationFactory

TEMPLATES = Path(settings.BASE_DIR) / "templates"
STATIC = Path(settings.BASE_DIR) / "static"
Status = Application.Status


def _templates():
    return {p: p.read_text(encoding="utf-8") for p in TEMPLATES.rglob("*.html")}


# ---------------------------------------------------------------------------- icons

def test_every_icon_the_templates_use_is_drawn_by_the_small_stylesheet():
    used = icons_used()
    assert "house" in used and len(used) > 20
    missing = used - icons_defined()
    assert not missing, (f"模板用了图标 {sorted(missing)}，但 icons.css 里没有：请按 "
                         "afterschool/icons.py 的说明运行 manage.py build_icons")


def test_the_icon_font_is_gone_and_its_licence_kept():
    icons = STATIC / "vendor" / "bootstrap-icons"
    assert not list(icons.rglob("*.woff*")) and not (icons / "bootstrap-icons.min.css").exists()
    assert "MIT" in (icons / "LICENSE").read_text()
    css = CSS_PATH.read_text()
    assert len(gzip.compress(css.encode())) < 12 * 1024
    assert "@font-face" not in css


def test_build_css_draws_each_icon_as_a_mask_without_its_size_or_colour(tmp_path):
    (tmp_path / "house.svg").write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16" fill="currentColor" '
        'class="bi bi-house" viewBox="0 0 16 16">\n  <path fill-rule="evenodd" d="M1 1h2"/>\n'
        "</svg>")
    css = build_css({"house"}, tmp_path)
    assert icons_defined(css) == {"house"}
    rule = css.splitlines()[-1]
    assert "width=" not in rule and "currentColor" not in rule and "class=" not in rule
    assert "viewBox='0 0 16 16'" in rule and "fill-rule='evenodd'" in rule
    assert "%3Cpath" in rule and "mask:var(--bi)" in css
    with pytest.raises(FileNotFoundError, match="bi-nope|nope"):
        build_css({"nope"}, tmp_path)


def test_decorative_icons_are_hidden_from_screen_readers():
    bare = [f"{p.relative_to(TEMPLATES)}: {tag}" for p, text in _templates().items()
            for tag in re.findall(r'<i class="bi [^>]*>', text) if 'aria-hidden="true"' not in tag]
    assert bare == []


# ---------------------------------------------------------------------------- scripts

def test_scripts_are_deferred_and_htmx_loads_only_where_used():
    base = (TEMPLATES / "base.html").read_text()
    assert re.search(r"bootstrap\.bundle\.min\.js' %}\" defer>", base)
    assert "htmx.min.js" not in base
    templates = _templates()
    for path, text in templates.items():
        if not re.search(r"\shx-[a-z]+=", text):
            continue
        if "{% extends" in text:
            assert '{% block htmx %}{% include "_htmx.html" %}' in text, path
        else:  # a fragment: every page that includes it loads htmx
            name = str(path.relative_to(TEMPLATES))
            includers = [p for p, t in templates.items() if f'"{name}"' in t and p != path]
            assert includers, path
            for includer in includers:
                assert '{% include "_htmx.html" %}' in templates[includer], (path, includer)


@pytest.mark.django_db
def test_pages_without_htmx_do_not_load_it_and_are_compressed(world, login):
    client = login(world.guardian.user)
    response = client.get(reverse("school:home"), HTTP_ACCEPT_ENCODING="gzip")
    assert response["Content-Encoding"] == "gzip"
    html = gzip.decompress(response.content).decode()
    assert "htmx" not in html and "bootstrap-icons.min.css" not in html
    assert "vendor/bootstrap-icons/icons.css" in html
    assert 'rel="icon"' in html and "favicon.svg" in html


@pytest.mark.django_db
def test_favicon_ico_is_not_a_404(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 302
    assert response["Location"].endswith("favicon.svg")
    assert (STATIC / "favicon.svg").read_text().startswith("<svg")


# ---------------------------------------------------------------------------- markup

def test_theme_colours_reach_aa_contrast_on_the_page_background():
    css = (STATIC / "css" / "site.css").read_text()

    def luminance(hex_colour):
        channels = [int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    def contrast(a, b):
        high, low = sorted([luminance(a), luminance(b)], reverse=True)
        return (high + 0.05) / (low + 0.05)

    for name in ("primary", "secondary", "success", "danger", "link-color",
                 "form-invalid-color"):
        colour = re.search(rf"--bs-{name}:\s*(#[0-9a-f]{{6}})", css).group(1)
        assert contrast(colour, "#f8f9fa") >= 4.5, name  # bg-body-tertiary, the page
        assert contrast(colour, "#ffffff") >= 4.5, name  # cards
    # The same colours are what the outline buttons write their text in.
    assert "--bs-btn-color: var(--bs-btn-bg-main)" in css
    # Yellow and cyan are backgrounds: their text takes the emphasis shade.
    for rule in (".text-warning { color: var(--bs-warning-text-emphasis)",
                 ".text-info { color: var(--bs-info-text-emphasis)"):
        assert rule in css


@pytest.mark.django_db
def test_review_filters_are_a_nav_with_the_current_one_marked(world, login):
    ApplicationFactory(student=world.child, term=world.term, status=Status.SUBMITTED)
    page = login(world.homeroom_teacher.user).get(
        reverse("enrollment:review") + "?bucket=submitted").content.decode()
    assert 'role="tablist"' not in page
    nav = re.search(r'<nav [^>]*aria-label="按状态筛选">(.*?)</nav>', page, re.S).group(1)
    current = re.findall(r'<a [^>]*aria-current="page"[^>]*>\s*([^<]+)', nav)
    assert [c.strip() for c in current] == ["待班主任审核"]


@pytest.mark.django_db
def test_scroll_boxes_are_named_regions_that_take_focus(world, login):
    client = login(world.coordinator)
    stats = client.get(reverse("enrollment:statistics")).content.decode()
    assert re.search(r'class="table-responsive[^"]*" tabindex="0" role="region" aria-label="[^"]+"',
                     stats)
    agreement = AgreementFactory(term=world.term, version=1)
    app = ApplicationFactory(student=world.child, term=world.term, status=Status.DRAFT)
    form = login(world.guardian.user).get(
        reverse("enrollment:edit", args=[app.pk])).content.decode()
    assert agreement.service_text[:6] in form
    assert 'tabindex="0" role="region" aria-label="协议全文"' in form
    legends = re.findall(r"<fieldset[^>]*>\s*(?:<div[^>]*>\s*)?<legend[^>]*>([^<]+)</legend>",
                         form)
    assert "需要参加的日子" in legends and "放学后如何回家" in legends
