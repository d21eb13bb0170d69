"""Every UI string has both languages and is used; keys built at run time are listed here."""

from __future__ import annotations

import ast
import pathlib
import re

from analytics.core import i18n

ROOT = pathlib.Path(__file__).resolve().parents[1]
# keys made from a prefix and a code at run time (t(f"export_{fmt}"), t(f"change_{s}") …)
DYNAMIC = ("data_mode_", "data_col_", "export_", "change_", "school_", "legend_worse_", "status_", "page_")


def test_every_string_has_chinese_and_english():
    missing = [k for k, v in i18n.STRINGS.items() if not v.get("zh") or not v.get("en")]
    assert missing == []


def test_every_string_is_used():
    files = [p for p in (ROOT / "analytics").rglob("*.py") if p.name != "i18n.py"]
    files += list((ROOT / "pages").rglob("*.py")) + [ROOT / "app.py"]
    source = "\n".join(p.read_text(encoding="utf-8") for p in files)
    source += (ROOT / "analytics" / "core" / "i18n.py").read_text(encoding="utf-8").split("\ndef ", 1)[1]
    unused = [k for k in i18n.STRINGS
              if f'"{k}"' not in source and f"'{k}'" not in source and not k.startswith(DYNAMIC)]
    assert unused == []


CJK = re.compile(r"[\u3400-\u9fff]")
LANGUAGE_NAMES = {"lang", "language", "zh"}


def _strings(node: ast.AST) -> str:
    return "".join(n.value for n in ast.walk(node) if isinstance(n, ast.Constant) and isinstance(n.value, str))


def _names(node: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)} | \
        {n.attr for n in ast.walk(node) if isinstance(n, ast.Attribute)}


def test_no_inline_chinese_and_english_pairs_outside_i18n():
    """A text in both languages lives in i18n.py: no `"中文" if lang != "en" else "English"`, no
    {"zh": …, "en": …} and no ("中文", "English") pairs anywhere else."""
    files = [p for p in (ROOT / "analytics").rglob("*.py") if p.name != "i18n.py"]
    files += list((ROOT / "pages").rglob("*.py")) + [ROOT / "app.py"]
    found = []
    for path in files:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            where = f"{path.relative_to(ROOT)}:{getattr(node, 'lineno', '?')}"
            if isinstance(node, ast.IfExp) and _names(node.test) & LANGUAGE_NAMES \
                    and CJK.search(_strings(node.body) + _strings(node.orelse)):
                found.append(where)
            elif isinstance(node, ast.Dict) and {"zh", "en"} <= {k.value for k in node.keys
                                                                 if isinstance(k, ast.Constant)}:
                if CJK.search(_strings(node)):
                    found.append(where)
            elif isinstance(node, ast.Tuple) and len(node.elts) == 2 and all(
                    isinstance(e, ast.Constant) and isinstance(e.value, str) for e in node.elts):
                zh, en = (e.value for e in node.elts)
                if CJK.search(zh) and re.search(r"[A-Za-z]{3}", en) and not CJK.search(en):
                    found.append(where)
    assert found == []
