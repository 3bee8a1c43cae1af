"""The icons the pages use, as one small stylesheet of CSS masks instead of the icon font.

The Bootstrap Icons font is 131 KiB (plus an 87 KB stylesheet) for some 2,000 icons, and the
pages use about 60: that font was more than half of every page a family opened on a phone.
``static/vendor/bootstrap-icons/icons.css`` holds only the icons the templates name, each an
SVG from the Bootstrap Icons package drawn as a mask in the text colour, so the markup stays
``<i class="bi bi-house" aria-hidden="true"></i>`` and the icon follows the colour and size of
the text around it like the font did.

After using a new icon in a template, rebuild the stylesheet (``tests/afterschool/
test_icons.py`` fails until then)::

    cd /tmp && npm pack bootstrap-icons@1.13.2 && tar xzf bootstrap-icons-1.13.2.tgz
    python manage.py build_icons /tmp/package/icons
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import quote

from django.conf import settings

CSS_PATH = Path(settings.BASE_DIR) / "static" / "vendor" / "bootstrap-icons" / "icons.css"
VERSION = "1.13.2"

_USED = re.compile(r"\bbi-([a-z0-9]+(?:-[a-z0-9]+)*)")
_DEFINED = re.compile(r"^\.bi-([a-z0-9-]+)\{--bi:", re.MULTILINE)

BASE_RULES = """\
.bi{display:inline-block;width:1em;height:1em;vertical-align:-.125em;flex-shrink:0;\
background-color:currentColor;-webkit-mask:var(--bi) center/contain no-repeat;\
mask:var(--bi) center/contain no-repeat;-webkit-print-color-adjust:exact;print-color-adjust:exact}
@media (forced-colors:active){.bi{forced-color-adjust:none;background-color:CanvasText}}
"""


def icons_used(template_dirs: list[Path] | None = None) -> set[str]:
    """Every ``bi-…`` name written in the templates."""
    dirs = template_dirs or [Path(d) for d in settings.TEMPLATES[0]["DIRS"]]
    names: set[str] = set()
    for directory in dirs:
        for path in Path(directory).rglob("*.html"):
            names.update(_USED.findall(path.read_text(encoding="utf-8")))
    return names


def icons_defined(css: str | None = None) -> set[str]:
    """The icons the stylesheet draws."""
    text = CSS_PATH.read_text(encoding="utf-8") if css is None else css
    return set(_DEFINED.findall(text))


def _data_uri(svg: str) -> str:
    """The SVG as a compact ``data:`` URI: no size, colour or class (the CSS gives those)."""
    svg = re.sub(r'\s(?:width|height|fill|class)="[^"]*"', "", svg)
    svg = re.sub(r">\s+<", "><", svg.strip()).replace('"', "'")
    return "data:image/svg+xml," + quote(svg, safe=" '/=:;,.-_()")


def build_css(names: set[str], icons_dir: Path) -> str:
    """The stylesheet for ``names``, from the package's ``icons/<name>.svg`` files."""
    missing = sorted(n for n in names if not (icons_dir / f"{n}.svg").is_file())
    if missing:
        raise FileNotFoundError("Bootstrap Icons 中没有这些图标：" + "、".join(missing))
    lines = [f"/* Bootstrap Icons v{VERSION} (MIT, see LICENSE): only the icons the templates "
             "use, built by `manage.py build_icons`. */", BASE_RULES.rstrip()]
    for name in sorted(names):
        svg = (icons_dir / f"{name}.svg").read_text(encoding="utf-8")
        lines.append(f'.bi-{name}{{--bi:url("{_data_uri(svg)}")}}')
    return "\n".join(lines) + "\n"
