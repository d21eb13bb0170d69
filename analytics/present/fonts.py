"""The bundled open CJK font (Noto Sans CJK SC, OFL, from the `noto-cjk-sans-otc` package) for
server-side images: registered with vl-convert for PNG and PDF, and embedded (as a subset) in
SVG files, so exports show Chinese on machines that have no CJK font.
"""

from __future__ import annotations

import base64
import hashlib
import io
import os
import re
from functools import lru_cache
from pathlib import Path

from analytics.core.errors import JunhengError

FAMILY = "Noto Sans CJK SC"
EMBEDDED_FAMILY = "Junheng CJK"   # the family name of the subset embedded in SVG files
BASE_FAMILY = "Junheng CJK Base"  # the common-character subset that server-side images try first
SC_INDEX = 2                      # Simplified Chinese in the NotoSansCJK-Regular.ttc collection


class FontError(JunhengError, RuntimeError):
    """No usable CJK font: exports would show boxes instead of Chinese."""


def font_file() -> Path:
    """The bundled NotoSansCJK-Regular.ttc."""
    try:
        import noto_cjk_sans_otc
    except ImportError:
        raise FontError("the CJK font package is missing: pip install noto-cjk-sans-otc") from None
    path = Path(noto_cjk_sans_otc.__file__).parent / "NotoSansCJK-Regular.ttc"
    if not path.exists():
        raise FontError(f"{path} is missing: reinstall noto-cjk-sans-otc")
    return path


_registered: list[Path] = []


def register() -> Path:
    """Register the bundled font and its common-character subset (as BASE_FAMILY) with vl-convert,
    once per process; returns the font. Charts name BASE_FAMILY first: measuring and drawing text
    from a 3,000-glyph font is 2–5× faster than from the 65k-glyph collection, and a character the
    subset lacks falls back to the full font."""
    path = font_file()
    if not _registered:
        import vl_convert as vlc

        vlc.register_font_directory(str(path.parent))
        vlc.register_font_directory(str(_base_font_file().parent))
        _registered.append(path)
    return path


def registered() -> Path | None:
    """The font registered with vl-convert by this process, if any."""
    return _registered[0] if _registered else None


@lru_cache(maxsize=1)
def check() -> None:
    """Render 中 and a character no font has: equal images mean Chinese would come out as boxes."""
    import vl_convert as vlc

    register()

    def png(text: str) -> bytes:
        return vlc.vegalite_to_png({
            "width": 40, "height": 30, "data": {"values": [{"t": text}]},
            "mark": {"type": "text", "font": FAMILY, "fontSize": 24}, "encoding": {"text": {"field": "t"}},
            "config": {"view": {"stroke": None}}}, scale=1)

    if hashlib.md5(png("中")).digest() == hashlib.md5(png("\ue000")).digest():
        raise FontError(f"{FAMILY} does not render: Chinese would be drawn as boxes")


def _common_chars() -> str:
    """Characters exports usually need: ASCII, the UI strings, criteria, plans, every place name."""
    from analytics.assess import targets
    from analytics.assess.criteria import load_criteria
    from analytics.atlas import geo
    from analytics.core import i18n

    texts = [chr(c) for c in range(32, 127)]
    for table in (i18n.STRINGS, i18n.STAGE_LABELS, i18n.LEVEL_LABELS,
                  i18n.LOCALE_LABELS):
        texts += [v for entry in table.values() for v in entry.values()]
    criteria = load_criteria()
    texts += [c.name_zh for c in criteria.items] + i18n.method_notes(criteria, "zh")
    for plan in targets.read_plans().plans.values():
        texts += [plan.title_zh, plan.source] + [p["zh"] for p in plan.phases.values()]
        texts += [tg.label_zh for tg in plan.targets] + plan.definitions("zh")
    for layer in ("counties", "cities", "provinces"):
        texts += list(geo.load_layer(layer)["name"])
    texts.append("≥≤×–—·…%％（）：；，。、⁰¹²³m²✓")
    return "".join(sorted(set("".join(texts))))


@lru_cache(maxsize=1)
def _base_font() -> tuple[bytes, frozenset]:
    """A first subset of the 65k-glyph font with the common characters: loading it is ~50× faster
    than loading the whole font, so each SVG's own subset is cut from it. Kept in the temp folder
    between runs (it takes a few seconds to make)."""
    import tempfile

    chars = _common_chars()
    key = hashlib.sha1((chars + str(font_file().stat().st_size)).encode()).hexdigest()[:16]
    cache = Path(tempfile.gettempdir()) / "junheng-fonts" / f"cjk-base-{key}.otf"
    if cache.exists():
        return cache.read_bytes(), frozenset(chars)
    data = _cut(str(font_file()), chars, SC_INDEX)
    cache.parent.mkdir(parents=True, exist_ok=True)
    tmp = cache.with_suffix(f".{id(data)}.tmp")
    tmp.write_bytes(data)
    tmp.replace(cache)
    return data, frozenset(chars)


def _base_font_file() -> Path:
    """The common subset renamed BASE_FAMILY, alone in its folder (registered with vl-convert)."""
    import tempfile

    base, chars = _base_font()
    key = hashlib.sha1(base).hexdigest()[:16]
    path = Path(tempfile.gettempdir()) / "junheng-fonts" / f"base-{key}" / "JunhengCJKBase.otf"
    if not path.exists():
        from fontTools.ttLib import TTFont

        font = TTFont(io.BytesIO(base))
        for record in font["name"].names:
            if record.nameID in (1, 4, 16):
                record.string = BASE_FAMILY
            elif record.nameID == 6:
                record.string = BASE_FAMILY.replace(" ", "")
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.{id(font)}.tmp")
        font.save(str(tmp))
        tmp.replace(path)
    return path


def _cut(source, chars: str, number: int = 0) -> bytes:
    from fontTools import subset
    from fontTools.ttLib import TTFont

    font = TTFont(source, fontNumber=number, lazy=False)
    options = subset.Options()
    options.name_IDs = ["*"]
    options.notdef_outline = True
    options.hinting = False
    options.layout_features = []   # horizontal Chinese and figures need no OpenType features
    sub = subset.Subsetter(options=options)
    sub.populate(text=chars)
    sub.subset(font)
    out = io.BytesIO()
    font.save(out)
    return out.getvalue()


@lru_cache(maxsize=64)
def _subset(chars: str) -> bytes:
    """The font cut to `chars` (from the common subset when it has them all)."""
    base, known = _base_font()
    if set(chars) <= known:
        return _cut(io.BytesIO(base), chars)
    return _cut(str(font_file()), chars, SC_INDEX)


def _viewer_families(families: str) -> str:
    """A font-family list without BASE_FAMILY, which exists only on the server that drew it."""
    return ", ".join(f for f in (x.strip() for x in families.split(",")) if f != BASE_FAMILY)


def embed_in_svg(svg: str) -> str:
    """Embed the subset of the font that the SVG's text uses (as an @font-face data URL) and put
    it first in every font-family, so the file shows Chinese wherever it is opened."""
    return embed_in_svgs([svg])[0]


def embed_in_svgs(svgs: list[str]) -> list[str]:
    """embed_in_svg for several SVGs with one subset, cut once for the text of them all (a
    briefing pack's twenty-odd figures: one cut instead of one each)."""
    texts = "".join("".join(re.findall(r">([^<]+)<", svg)) for svg in svgs)
    chars = "".join(sorted(set(texts) | set("0123456789.,%-–—:：()（）")))
    data = base64.b64encode(_subset(chars)).decode("ascii")
    style = (f'<defs><style>@font-face {{ font-family: "{EMBEDDED_FAMILY}"; '
             f'src: url(data:font/otf;base64,{data}) format("opentype"); }}</style></defs>')
    out = []
    for svg in svgs:
        svg = re.sub(r'font-family="([^"]*)"',
                     lambda m: f'font-family="{EMBEDDED_FAMILY}, {_viewer_families(m.group(1))}"', svg)
        out.append(re.sub(r"(<svg[^>]*>)", lambda m: m.group(1) + style, svg, count=1))
    return out
