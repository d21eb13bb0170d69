"""The package's layers: model modules compute (codes and numbers), presentation modules turn
results into words, pictures and files. A model module never imports a presentation module —
not at the top, not inside a function — so there are no cycles to dodge with late imports."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "analytics"
MODEL = ("balance", "boundaries", "calibration", "cells", "census", "criteria", "db", "demo", "dictionary", "errors",
         "geo", "gap", "importer", "metrics", "paths", "places", "processes", "progress", "regions", "state", "targets", "templates", "tomlfile")
PRESENTATION = ("charts", "display", "explore", "exports", "fonts", "maps", "output", "pack", "profile", "raster",
                "rendering", "reports", "slides")
SHARED = ("i18n", "cli", "__init__", "__main__")  # strings for both layers; the command line uses all


def _imports(module: str) -> set[str]:
    tree = ast.parse((PACKAGE / f"{module}.py").read_text(encoding="utf-8"))
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            if node.module == "analytics":
                out |= {a.name for a in node.names}
            elif node.module.startswith("analytics."):
                out.add(node.module.split(".")[1])
        elif isinstance(node, ast.Import):
            out |= {a.name.split(".")[1] for a in node.names if a.name.startswith("analytics.")}
    return out


def test_every_module_has_a_layer():
    modules = {p.stem for p in PACKAGE.glob("*.py")}
    assert modules == set(MODEL) | set(PRESENTATION) | set(SHARED)


@pytest.mark.parametrize("module", MODEL)
def test_a_model_module_never_imports_a_presentation_module(module):
    assert not _imports(module) & set(PRESENTATION)


def test_the_shared_strings_import_no_other_layer():
    assert not _imports("i18n") & (set(MODEL + PRESENTATION) - {"errors", "paths"})


def test_no_two_modules_import_each_other_even_through_others():
    graph = {m: _imports(m) - {m} for m in MODEL + PRESENTATION + SHARED}
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


def test_pages_hold_no_sql():
    """Pages lay out widgets and call analytics: no query of their own."""
    root = PACKAGE.parent
    for path in [*root.joinpath("pages").rglob("*.py"), root / "app.py"]:
        text = path.read_text(encoding="utf-8")
        assert ".execute(" not in text and ".sql(" not in text, path.name
