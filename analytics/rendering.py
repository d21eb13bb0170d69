"""Vega-Lite specs to files (SVG, PNG at 2× or 3×, PDF) with the bundled CJK font, in this process
or in a helper process.

vl-convert renders one figure at a time per process (threads do not overlap). A briefing pack
renders about twenty figures while it also writes its Excel tables and slides, so it hands the
figures to one helper process, started once and kept: on two cores the pack takes about half the
time. Without a helper (it cannot start, or it died) the figures are rendered here, as before.
"""

from __future__ import annotations

import atexit
import multiprocessing
import re
import threading
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from analytics import fonts

FORMATS = ("png2", "png3", "svg", "pdf")
EXTENSION = {"png2": "@2x.png", "png3": "@3x.png", "svg": ".svg", "pdf": ".pdf"}
PAGE_MARGIN = 28.0  # points (10 mm): inside what office printers can print


def on_page(svg: str, page: tuple[float, float], margin: float = PAGE_MARGIN) -> str:
    """The SVG scaled to fit a paper size inside margins, centred, on a white page (one size for
    every sheet, so they print and sit side by side). The root's viewBox does it: no extra
    nesting, which the PDF converter limits."""
    head = re.search(r"<svg\b[^>]*>", svg)
    w = float(re.search(r'\swidth="([\d.]+)', head.group(0)).group(1))
    h = float(re.search(r'\sheight="([\d.]+)', head.group(0)).group(1))
    pw, ph = page
    scale = min((pw - 2 * margin) / w, (ph - 2 * margin) / h)
    vw, vh = pw / scale, ph / scale  # the page in the figure's units; the figure sits in its middle
    x, y = (w - vw) / 2, (h - vh) / 2
    root = re.sub(r'\s(width|height|viewBox|preserveAspectRatio)="[^"]*"', "", head.group(0))
    root = root[:-1] + (f' width="{pw:g}" height="{ph:g}" viewBox="{x:.2f} {y:.2f} {vw:.2f} {vh:.2f}"'
                        f' preserveAspectRatio="xMidYMid meet">')
    paper = f'<rect x="{x:.2f}" y="{y:.2f}" width="{vw:.2f}" height="{vh:.2f}" fill="white"/>'
    return svg[:head.start()] + root + paper + svg[head.end():]


def files(spec: dict, formats: tuple[str, ...], page: tuple[float, float] | None = None) -> dict[str, bytes]:
    """Several formats of one figure from a single Vega render (its SVG). The SVG does not carry
    its font yet (fonts.embed_in_svgs cuts one subset for many)."""
    import vl_convert as vlc

    unknown = set(formats) - set(FORMATS)
    if unknown:
        raise ValueError(f"unknown format(s) {sorted(unknown)}; use {FORMATS}")
    fonts.register()
    fonts.check()
    svg = vlc.vegalite_to_svg(spec)
    if page:
        svg = on_page(svg, page)
    out = {}
    for fmt in formats:
        if fmt in ("png2", "png3"):
            out[fmt] = vlc.svg_to_png(svg, scale=2 if fmt == "png2" else 3)
        elif fmt == "svg":
            out[fmt] = svg.encode("utf-8")
        else:
            out[fmt] = vlc.svg_to_pdf(svg)
    return out


def _warm() -> bool:
    """A new helper registers the font and renders once (about a second), before it is needed."""
    fonts.register()
    fonts.check()
    return True


_helper: list[ProcessPoolExecutor] = []
_warmed: list[Future] = []  # the helper's warm-up
_lock = threading.Lock()


def _helper_pool() -> ProcessPoolExecutor | None:
    """The helper process, started on first use (spawned: the app's server runs threads, which a
    fork would copy mid-flight); None when it cannot start."""
    with _lock:
        if not _helper:
            try:
                pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"))
                warm = pool.submit(_warm)
            except (OSError, RuntimeError):
                return None
            _helper.append(pool)
            _warmed[:] = [warm]
            atexit.register(pool.shutdown, wait=False, cancel_futures=True)
        return _helper[0]


def start_helper() -> Future | None:
    """Start the helper now (it warms up while the caller prepares what it will render): the
    future of its warm-up, None without a helper."""
    return _warmed[0] if _helper_pool() is not None else None


def submit(spec: dict, formats: tuple[str, ...], page: tuple[float, float] | None = None) -> Future:
    """files(spec, formats, page) in the helper process: a future of its result (a broken helper
    is replaced once; rendered here at once when there is none)."""
    for _ in range(2):
        pool = _helper_pool()
        if pool is None:
            break
        try:
            return pool.submit(files, spec, formats, page)
        except (BrokenProcessPool, RuntimeError):  # broken, or shut down
            stop_helper()
    done: Future = Future()
    try:
        done.set_result(files(spec, formats, page))
    except Exception as error:  # raised by result(), as a helper's would be
        done.set_exception(error)
    return done


def result(job: Future, spec: dict, formats: tuple[str, ...], page: tuple[float, float] | None = None) -> dict:
    """What a submitted job rendered. A job the helper has not started is rendered here instead
    (the caller would only wait: collect the last jobs first and the two processes share the
    work), and so is one whose helper died (the next call starts a new one). A figure's own error
    is raised here, wherever it was rendered."""
    if job.cancel():
        return files(spec, formats, page)
    try:
        return job.result()
    except BrokenProcessPool:
        stop_helper()
        return files(spec, formats, page)


def stop_helper(wait: bool = False) -> None:
    """Stop the helper process, if any (the next figure submitted starts a new one)."""
    with _lock:
        pool = _helper.pop() if _helper else None
    if pool is not None:
        pool.shutdown(wait=wait, cancel_futures=True)

