"""Every UI string has both languages and is used; keys built at run time are listed here."""

from __future__ import annotations

import pathlib

from analytics import i18n

ROOT = pathlib.Path(__file__).resolve().parents[1]
# keys made from a prefix and a code at run time (t(f"export_{fmt}"), t(f"change_{s}") …)
DYNAMIC = ("data_mode_", "export_", "change_", "school_", "legend_worse_", "status_", "page_")


def test_every_string_has_chinese_and_english():
    missing = [k for k, v in i18n.STRINGS.items() if not v.get("zh") or not v.get("en")]
    assert missing == []


def test_every_string_is_used():
    files = [p for p in (ROOT / "analytics").glob("*.py") if p.name != "i18n.py"]
    files += list((ROOT / "pages").rglob("*.py")) + [ROOT / "app.py"]
    source = "\n".join(p.read_text(encoding="utf-8") for p in files)
    source += (ROOT / "analytics" / "i18n.py").read_text(encoding="utf-8").split("\ndef ", 1)[1]
    unused = [k for k in i18n.STRINGS
              if f'"{k}"' not in source and f"'{k}'" not in source and not k.startswith(DYNAMIC)]
    assert unused == []
