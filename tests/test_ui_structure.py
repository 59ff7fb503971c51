"""ui/ has a core of shared pieces and one view per page: no view imports another page's view, the
core imports no view, and no ui module imports itself back through others (no cycles)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# A page's view may be split in two files: the view and its figures (or form).
COMPANIONS = {"denoise_view": {"ladder_figure"}, "latent_map_view": {"latent_map_figure"}, "training": {"train_form", "loss_code"},
              "generate_view": {"generate_reparam", "conditional_view"}, "anomaly_view": {"anomaly_table_view"},
              "regularizers_view": {"warmup_view", "regularizers_figures"}}


def ui_imports(path: Path) -> set[str]:
    """Every ui module `path` imports, at any depth (function-level imports count), as dotted names."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "ui":
            if node.module in ("ui", "ui.core"):
                found |= {f"{node.module}.{alias.name}" for alias in node.names}
            else:
                found.add(node.module)
        elif isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names if alias.name.split(".")[0] == "ui"}
    return found


def module_name(path: Path) -> str:
    return ".".join(path.relative_to(ROOT).with_suffix("").parts)


UI = {module_name(p): ui_imports(p) for p in (ROOT / "ui").rglob("*.py") if p.name != "__init__.py"}


def test_the_core_imports_only_the_core():
    for name, imports in UI.items():
        if name.startswith("ui.core."):
            assert all(i.startswith("ui.core") for i in imports), (name, imports)


def test_a_view_imports_only_the_core_and_its_own_companion():
    for name, imports in UI.items():
        if name.startswith("ui.core."):
            continue
        short = name.split(".")[-1]
        allowed = {f"ui.{c}" for c in COMPANIONS.get(short, ())}
        others = {i for i in imports if not i.startswith("ui.core")} - allowed
        assert not others, f"{name} imports other views: {sorted(others)}"


def test_pages_import_the_core_and_their_own_view_only():
    views_by_page = {}
    for page in (ROOT / "pages").glob("*.py"):
        views = {i.split(".")[-1] for i in ui_imports(page) if not i.startswith("ui.core")}
        roots = {v for v in views if not any(v in c for c in COMPANIONS.values())}
        assert len(roots) <= 1, f"{page.name} draws from several pages' views: {sorted(views)}"
        views_by_page[page.name] = views
    assert views_by_page["denoise.py"] == {"denoise_view"}


def assert_no_cycles(graph: dict[str, set[str]]) -> None:
    """Depth-first search: fails on the first module that imports itself back through others."""
    state: dict[str, str] = {}

    def visit(node: str, path: list[str]) -> None:
        state[node] = "open"
        for nxt in graph[node]:
            assert state.get(nxt) != "open", "import cycle: " + " -> ".join(path + [node, nxt])
            if nxt not in state:
                visit(nxt, path + [node])
        state[node] = "done"

    for node in graph:
        if node not in state:
            visit(node, [])


def test_no_import_cycles_in_ui():
    assert_no_cycles({name: {i for i in imports if i in UI} for name, imports in UI.items()})


# The aecore library and its studies (aecore/studies/: the computations behind single pages and the
# app's job catalogue). The command line (aecore/cli.py, aecore/__main__.py) is a front end like the
# pages: it lists the study commands, so it is the one core module allowed to import them.
FRONT_ENDS = {"aecore.cli", "aecore.__main__"}


def aecore_imports(path: Path) -> set[str]:
    """Every aecore module `path` imports, at any depth, as dotted names (`from aecore import x`
    counts as aecore.x). Imports under `if TYPE_CHECKING:` are for type hints only and never run."""
    tree = ast.parse(path.read_text())
    hints = {id(n) for block in ast.walk(tree) if isinstance(block, ast.If) and ast.unparse(block.test) == "TYPE_CHECKING"
             for n in ast.walk(block)}
    found = set()
    for node in (n for n in ast.walk(tree) if id(n) not in hints):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "aecore":
            found |= {node.module} | {f"{node.module}.{alias.name}" for alias in node.names}
        elif isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names if alias.name.split(".")[0] == "aecore"}
    return found


AECORE = {module_name(p).removesuffix(".__init__"): aecore_imports(p) for p in (ROOT / "aecore").rglob("*.py")}


def test_the_library_never_imports_the_studies():
    core = {name: imports for name, imports in AECORE.items()
            if not name.startswith("aecore.studies") and name not in FRONT_ENDS}
    assert len(core) > 30 and sum(name.startswith("aecore.studies.") for name in AECORE) > 10
    for name, imports in core.items():
        studies = sorted(i for i in imports if i == "aecore.studies" or i.startswith("aecore.studies."))
        assert not studies, f"{name} (library) imports the studies {studies}"


def test_the_library_has_no_import_cycles():
    """A cycle forces delayed imports (a function-level import to dodge a half-loaded module)."""
    assert_no_cycles({name: {i for i in imports if i in AECORE and i != name and not name.startswith(i + ".")}
                      for name, imports in AECORE.items()})
