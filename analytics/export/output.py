"""What every file the product writes needs: the Context (where the data comes from, whether it is
synthetic, the language), the notes under a table, the MIME types, and zipping several files.
Used by exports, reports, slides, pages and the CLI (its own module, so none of them imports
another just for these)."""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass

from analytics.atlas import geo
from analytics.core.i18n import t

MIME = {"png2": "image/png", "png3": "image/png", "png300": "image/png", "svg": "image/svg+xml", "pdf": "application/pdf",
        "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "zip": "application/zip",
        "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation"}


@dataclass(frozen=True)
class Context:
    """What every export needs to know about the data: where it comes from, is it synthetic."""

    source: str             # 数据来源
    synthetic: bool
    lang: str = "zh"
    rules: str = ""         # the rule set's title when it is not the national one (then named)

    @property
    def mark(self) -> str | None:
        return t("synthetic_banner", self.lang).rstrip("。.") if self.synthetic else None

    def source_line(self, with_boundaries: bool = True) -> str:
        line = t("source_data", self.lang, source=self.source)
        if self.rules:  # every export under another rule set says which
            line = t("source_rules", self.lang, line=line, rules=self.rules)
        if with_boundaries:
            line = t("source_boundaries", self.lang, line=line, boundaries=geo.boundary_source(self.lang))
        return line


def table_notes(ctx: Context) -> list[str]:
    """The lines under a downloaded table: its source and, for demo data, the demo mark."""
    source = ctx.source_line(with_boundaries=False)
    return [source] + ([ctx.mark] if ctx.mark and ctx.mark not in source else [])


def context_from(meta: dict[str, str], synthetic: bool, lang: str = "zh", rules: str = "") -> Context:
    """The export context from the database's metadata (and the rule set's title, if not national)."""
    if synthetic:  # the one wording of the demo notice, in the export's language
        source = t("synthetic_banner", lang)
    else:
        source = meta.get("source") or t("imported_banner", lang)
    return Context(source=source.rstrip("。."), synthetic=synthetic, lang=lang, rules=rules)


def zip_bytes(files: dict[str, bytes]) -> bytes:
    """The files in one ZIP archive (deflated)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in files.items():
            z.writestr(name, data)
    return buf.getvalue()
