"""The package's layers are its subpackages, in order: a module imports only from its own package
and the packages before it — not at the top, not inside a function — so the model never reaches
for the screen or the files, and there are no cycles to dodge with late imports."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "analytics"
# model first (codes and numbers), then presentation (words, pictures, files)
ORDER = ("core", "atlas", "store", "assess", "ingest", "synthetic", "present", "export")
MODEL = ORDER[:6]
TOP = ("__init__", "__main__", "cli")  # the command line uses every layer
MAX_MODULE_LINES = 600
MAX_FUNCTION_LINES = 80
MAX_PARAMETERS = 8


def _modules() -> dict[str, Path]:
    """Every module of analytics as 'package.module' (the top-level ones as 'module')."""
    return {".".join(p.relative_to(PACKAGE).with_suffix("").parts): p for p in PACKAGE.rglob("*.py")}


def _imports(path: Path) -> set[str]:
    """The analytics modules a file imports, as 'package.module' (or 'package' for the package)."""
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("analytics"):
            parts = node.module.split(".")[1:]
            if len(parts) == 1 and parts[0] in ORDER:
                out |= {f"{parts[0]}.{a.name}" for a in node.names}
            elif parts:
                out.add(".".join(parts[:2]))
        elif isinstance(node, ast.Import):
            out |= {".".join(a.name.split(".")[1:3]) for a in node.names if a.name.startswith("analytics.")}
    return out


def _package(module: str) -> str:
    return module.split(".")[0] if "." in module else ""


def test_every_module_lives_in_a_layer_package():
    strays = [m for m in _modules() if _package(m) not in ORDER and m not in TOP]
    assert not strays


@pytest.mark.parametrize("module", sorted(m for m in _modules() if _package(m) in ORDER))
def test_a_module_imports_only_its_own_package_and_earlier_ones(module):
    rank = ORDER.index(_package(module))
    later = {m for m in _imports(_modules()[module]) if m.split(".")[0] in ORDER[rank + 1:]}
    assert not later, f"{module} imports a later layer: {sorted(later)}"


def test_the_model_never_imports_the_presentation_layer():
    model = [m for m in _modules() if _package(m) in MODEL]
    bad = {m: sorted(i for i in _imports(_modules()[m]) if i.split(".")[0] not in MODEL) for m in model}
    assert not {m: b for m, b in bad.items() if b}


def test_no_two_modules_import_each_other_even_through_others():
    modules = _modules()
    graph = {m: {i for i in _imports(p) if i in modules} - {m} for m, p in modules.items()}
    seen, stack = set(), []

    def visit(m: str) -> None:
        if m in stack:
            raise AssertionError("import cycle: " + " → ".join(stack[stack.index(m):] + [m]))
        if m in seen:
            return
        stack.append(m)
        for n in sorted(graph.get(m, ())):
            visit(n)
        stack.pop()
        seen.add(m)

    for m in graph:
        visit(m)


def test_no_module_is_longer_than_the_limit():
    long = {m: n for m, p in _modules().items()
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES}
    assert not long


def test_no_function_is_longer_than_the_limit_or_takes_too_many_parameters():
    """Long functions mix jobs; long parameter lists are state that should travel as a dataclass."""
    found = []
    for module, path in _modules().items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                a = node.args
                params = len(a.posonlyargs) + len(a.args) + len(a.kwonlyargs) + bool(a.vararg) + bool(a.kwarg)
                lines = node.end_lineno - node.lineno + 1
                if lines > MAX_FUNCTION_LINES or params > MAX_PARAMETERS:
                    found.append(f"{module}.{node.name}: {lines} lines, {params} parameters")
    assert not found, "\n".join(found)


def test_pages_hold_no_sql():
    """Pages lay out widgets and call analytics: no query of their own."""
    root = PACKAGE.parent
    for path in [*root.joinpath("pages").rglob("*.py"), root / "app.py"]:
        text = path.read_text(encoding="utf-8")
        assert ".execute(" not in text and ".sql(" not in text, path.name


def test_test_modules_share_helpers_through_helper_modules_only():
    """Tests take shared helpers from conftest.py, factory.py or browser.py, never from another
    test module (which would run that module's import side effects, and tie the two together)."""
    tests = PACKAGE.parent / "tests"
    found = []
    for path in tests.glob("test_*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("tests.test_"):
                found.append(f"{path.name} imports {node.module}")
    assert found == []


def test_every_test_module_that_drives_a_browser_is_marked_browser_and_slow():
    tests = PACKAGE.parent / "tests"
    unmarked = [p.name for p in tests.glob("test_*.py")
                if "sync_playwright" in (text := p.read_text(encoding="utf-8"))
                and "pytestmark = [pytest.mark.browser, pytest.mark.slow]" not in text]
    assert unmarked == []
