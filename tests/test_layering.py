"""The apps are layers, and each imports only the apps below it (CONVENTIONS.md, README).

    afterschool ← courses ← enrollment ← arrangement ← attendance ← safety ← surveys ← evaluation
        ← dashboards ← privacy

This walks every ``.py`` file of every app with :mod:`ast` (no import is executed) and records,
for each file, which other apps it reaches:

- ``import x`` and ``from x import y`` anywhere in the file, inside functions too; relative
  imports are resolved against the file's package;
- ``apps.get_model("app", "Model")`` and ``get_model("app.Model")``;
- a model named by a string in a relation field — the first argument, ``to=`` or ``through=``
  of ``ForeignKey``, ``OneToOneField`` or ``ManyToManyField`` written ``"app.Model"``.

Exempt, because they wire the apps together rather than belong to one:

- ``afterschool/settings/`` (``INSTALLED_APPS`` names every app);
- ``afterschool/urls.py``, the root URLconf, which includes every app's ``urls``;
- every app's ``migrations/``: generated from the models (which are checked), they name other
  apps' migrations as dependencies by design.

Everything else is checked, the core included: an app's own ``urls.py``, ``apps.py``, admin,
management commands and demo steps. A need that runs upward is a signal or a registry
(``register_student_scope``, ``register_panel``, ``register_demo_step``,
``courses.demand.register_demand``), or a sign the code is in the wrong app.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LAYERS = ["afterschool", "courses", "enrollment", "arrangement", "attendance", "safety",
          "surveys", "evaluation", "dashboards", "privacy"]
RANK = {app: i for i, app in enumerate(LAYERS)}
EXEMPT = ("afterschool/settings/", "afterschool/urls.py")
RELATIONS = {"ForeignKey", "OneToOneField", "ManyToManyField"}

# What the apps reach today. A new edge is a design decision: add it here on purpose.
EXPECTED_EDGES = {
    ("courses", "afterschool"),
    ("enrollment", "afterschool"),
    ("enrollment", "courses"),
    ("arrangement", "afterschool"),
    ("arrangement", "courses"),
    ("arrangement", "enrollment"),
    # Surveys invite the children who attended and cut the answers by their courses and
    # tutors (attendance's records, the catalog's sections).
    ("surveys", "afterschool"),
    ("surveys", "courses"),
    ("surveys", "attendance"),
    # Evaluation reads the records (attendance), names courses in the 公示 and the core's
    # people; duties, patrols and their findings come from the duty roster (safety).
    ("evaluation", "afterschool"),
    ("evaluation", "courses"),
    ("evaluation", "attendance"),
    ("evaluation", "safety"),
    # Guardians' satisfaction per tutor for the assessment (surveys.selectors).
    ("evaluation", "surveys"),
    # The dashboards sit on top: the capacity planner reads the forms and the catalog; the
    # aggregate tables count the records, placements, patrols, statements and surveys.
    ("dashboards", "afterschool"),
    ("dashboards", "courses"),
    ("dashboards", "enrollment"),
    ("dashboards", "arrangement"),
    ("dashboards", "attendance"),
    ("dashboards", "safety"),
    ("dashboards", "surveys"),
    ("dashboards", "evaluation"),
    # A family's rights sit above everything: the download reads every app's rows about the
    # family, deletion anonymises them, and purge_expired clears what outlived its term.
    ("privacy", "afterschool"),
    ("privacy", "enrollment"),
    ("privacy", "attendance"),
    ("privacy", "surveys"),
}


def _package_of(path: Path, root: Path) -> str:
    module = ".".join(path.relative_to(root).with_suffix("").parts)
    return module if path.name == "__init__.py" else module.rpartition(".")[0]


def _resolve(path: Path, root: Path, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    base = _package_of(path, root).split(".")
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def _name(func: ast.expr) -> str:
    if isinstance(func, ast.Attribute):
        return func.attr
    if isinstance(func, ast.Name):
        return func.id
    return ""


def _string(node: ast.expr | None) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def references(path: Path, root: Path = ROOT) -> list[tuple[str, int, str]]:
    """(target, line, how) for everything in the file that names another module or model."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(alias.name, node.lineno, "import") for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            module = _resolve(path, root, node)
            found.append((module, node.lineno, "import"))
            # ``from arrangement import services`` reaches arrangement.services.
            found += [(f"{module}.{alias.name}", node.lineno, "import") for alias in node.names]
        elif isinstance(node, ast.Call):
            name = _name(node.func)
            if name == "get_model" and node.args:
                first = _string(node.args[0])
                if first:
                    found.append((first.partition(".")[0], node.lineno, "get_model"))
            elif name in RELATIONS:
                targets = [node.args[0]] if node.args else []
                targets += [k.value for k in node.keywords if k.arg in ("to", "through")]
                for target in filter(None, map(_string, targets)):
                    if "." in target:
                        found.append((target.partition(".")[0], node.lineno, "string FK"))
    return found


def app_files(app: str):
    for path in sorted((ROOT / app).rglob("*.py")):
        relative = path.relative_to(ROOT).as_posix()
        if "/migrations/" in relative or relative.startswith(EXEMPT):
            continue
        yield path


def dependencies() -> dict[tuple[str, str], list[str]]:
    """(app, app it reaches) → where, as ``file:line (how)``."""
    edges: dict[tuple[str, str], list[str]] = defaultdict(list)
    for app in LAYERS:
        for path in app_files(app):
            for target, line, how in references(path):
                other = target.partition(".")[0]
                if other in RANK and other != app:
                    edges[app, other].append(
                        f"{path.relative_to(ROOT).as_posix()}:{line} ({how} {target})")
    return dict(edges)


def _cycle(edges) -> list[str] | None:
    graph = defaultdict(set)
    for a, b in edges:
        graph[a].add(b)
    state: dict[str, int] = {}

    def visit(node, trail):
        state[node] = 1
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return trail + [node, nxt]
            if nxt not in state:
                found = visit(nxt, trail + [node])
                if found:
                    return found
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state:
            found = visit(node, [])
            if found:
                return found
    return None


def test_every_app_is_walked():
    for app in LAYERS:
        assert (ROOT / app / "apps.py").exists(), app
        assert list(app_files(app)), app


def test_no_app_imports_an_app_above_it():
    edges = dependencies()
    print("\nApp dependencies (→ imports):")
    for a, b in sorted(edges, key=lambda e: (RANK[e[0]], RANK[e[1]])):
        print(f"  {a} → {b}  ({len(edges[a, b])} references)")
    upward = {edge: where for edge, where in edges.items() if RANK[edge[1]] > RANK[edge[0]]}
    assert not upward, "\n".join(f"{a} imports {b}, an app above it: " + "; ".join(where)
                                 for (a, b), where in sorted(upward.items()))
    assert _cycle(edges) is None
    # The structure's edges are all there; apps above (attendance, evaluation) add their own,
    # downward only, which the assertions above already check.
    assert EXPECTED_EDGES <= set(edges)


def test_the_solver_imports_no_django_and_no_app():
    for path in sorted((ROOT / "arrangement" / "solver").rglob("*.py")):
        for target, line, _ in references(path):
            top = target.partition(".")[0]
            assert top != "django" and (top not in RANK or target.startswith(
                "arrangement.solver")), f"{path.name}:{line} imports {target}"


def test_the_walker_sees_what_it_must(tmp_path):
    """The checks above are only as good as this: each kind of reference is found."""
    source = '''
from django.db import models
from django.apps import apps

from ..models import Thing


def later():
    from enrollment.services import application_place  # noqa
    return apps.get_model("arrangement", "Placement"), apps.get_model("evaluation.Survey")


class Row(models.Model):
    course = models.ForeignKey("courses.Course", on_delete=models.CASCADE)
    tags = models.ManyToManyField(to="attendance.Tag", through="attendance.Tagging")
    same = models.ForeignKey("self", on_delete=models.CASCADE)
'''
    path = tmp_path / "courses" / "probe" / "models.py"
    path.parent.mkdir(parents=True)
    path.write_text(source, encoding="utf-8")
    targets = {(t.partition(".")[0], how) for t, _, how in references(path, root=tmp_path)}
    assert {("courses", "import"), ("enrollment", "import"), ("arrangement", "get_model"),
            ("evaluation", "get_model"), ("courses", "string FK"),
            ("attendance", "string FK")} <= targets
    assert ("self", "string FK") not in targets
