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
    files = [p for p in (ROOT / "analytics").rglob("*.py") if p.name not in ("i18n.py", "strings.py")]
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


def _code_files() -> list[pathlib.Path]:
    """Every module but the catalogue (strings.py) and the words module (i18n.py), every page."""
    files = [p for p in (ROOT / "analytics").rglob("*.py") if p.name not in ("i18n.py", "strings.py")]
    return files + list((ROOT / "pages").rglob("*.py")) + [ROOT / "app.py"]


def _text_of(node: ast.AST) -> str | None:
    """The literal text of a string, an f-string or a sum of them (None for anything else)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value for v in node.values if isinstance(v, ast.Constant))
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _text_of(node.left), _text_of(node.right)
        return None if left is None and right is None else (left or "") + (right or "")
    return None


def _a_pair(zh: str | None, en: str | None) -> bool:
    return bool(zh and en and CJK.search(zh) and re.search(r"[A-Za-z]{3}", en) and not CJK.search(en))


def test_no_chinese_and_english_pair_is_passed_to_a_call_or_kept_as_zh_en_constants():
    """Messages in both languages are catalogue keys with parameters (i18n.Text, t), not a
    Chinese and an English text passed side by side, nor `*_ZH` / `*_EN` constants."""
    found = []
    for path in _code_files():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            where = f"{path.relative_to(ROOT)}:{getattr(node, 'lineno', '?')}"
            if isinstance(node, ast.Call) and any(_a_pair(_text_of(a), _text_of(b))
                                                  for a, b in zip(node.args, node.args[1:])):
                found.append(where)
            elif isinstance(node, ast.Assign) and any(isinstance(n, ast.Name) and re.search(r"_(ZH|EN)$", n.id)
                                                      for n in node.targets):
                found.append(where)
            elif isinstance(node, ast.Tuple) and len(node.elts) == 2 and _a_pair(*map(_text_of, node.elts)):
                found.append(where)
    assert found == []


def test_no_inline_chinese_and_english_pairs_outside_i18n():
    """A text in both languages lives in the catalogue: no `"中文" if lang != "en" else "English"`,
    no {"zh": …, "en": …} and no ("中文", "English") pairs anywhere else."""
    found = []
    for path in _code_files():
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
