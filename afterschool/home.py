"""The home page is built from panels: each app registers what a person does next.

The core cannot import the apps above it, so they register a panel function in their
``AppConfig.ready``. A panel takes the Actor and returns ``None`` (nothing for this person) or
a dict with ``template`` and its context, plus an ``order`` (smaller first).
"""

from collections.abc import Callable

_panels: list[Callable] = []


def register_panel(panel: Callable) -> None:
    if panel not in _panels:
        _panels.append(panel)


def panels_for(actor) -> list[dict]:
    found = []
    for panel in _panels:
        result = panel(actor)
        if result:
            found.append(result)
    return sorted(found, key=lambda p: p.get("order", 50))
