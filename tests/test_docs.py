"""The method the code cites is in the repository: every "docs/method.md §n" names a section
that exists, and nothing cites a document a clone does not have."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _tracked_text_files() -> list[Path]:
    names = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True).stdout.split()
    return [ROOT / n for n in names if n.endswith((".py", ".md", ".toml", ".sql")) and (ROOT / n).is_file()]


def test_every_citation_of_the_method_names_a_section_it_has():
    method = (ROOT / "docs" / "method.md").read_text(encoding="utf-8")
    sections = set(re.findall(r"^#{2,3} (\d+(?:\.\d+)?)\b", method, re.M))
    cited = {(p.name, s) for p in _tracked_text_files()
             for s in re.findall(r"docs/method\.md §(\d+(?:\.\d+)?)", p.read_text(encoding="utf-8", errors="replace"))}
    assert cited and {(name, s) for name, s in cited if s not in sections} == set()


def test_nothing_cites_a_document_outside_the_repository():
    here = Path(__file__).name
    found = [p.name for p in _tracked_text_files() if p.name != here and "DOMAIN.md" in p.read_text(encoding="utf-8", errors="replace")]
    assert found == []
