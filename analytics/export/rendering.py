"""Vega-Lite specs to files (SVG, PNG at 2× or 3×, PDF) with the bundled CJK font, and a helper
process that renders them (or writes any other file of a pack) alongside this one.

vl-convert renders one figure at a time per process (threads do not overlap), and openpyxl writes a
workbook in pure Python. A briefing pack renders about twenty figures and writes an Excel workbook
while it also builds its slides, so it hands the workbook and the figures to one helper process,
started once and kept (see Batch). Without a helper (it cannot start, or it died) everything is
done here.
"""

from __future__ import annotations

import atexit
import multiprocessing
import os
import pickle
import re
import shutil
import tempfile
import threading
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, Callable, NamedTuple

from analytics.core import processes
from analytics.present import fonts

FORMATS = ("png2", "png3", "svg", "pdf")  # what an export menu offers
PRINT_PNG = "png300"  # a page at 300 dpi (the briefing sheet as an image for print)
EXTENSION = {"png2": "@2x.png", "png3": "@3x.png", "svg": ".svg", "pdf": ".pdf", PRINT_PNG: "@300dpi.png"}
# PNG: (scale, pixels per inch); vl-convert draws a unit at scale × ppi / 72 pixels (a page's unit
# is the point, so 300 ppi at scale 1 is an A4 page of 3508 pixels, marked 300 dpi)
PNG = {"png2": (2.0, None), "png3": (3.0, None), PRINT_PNG: (1.0, 300.0)}
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

    unknown = set(formats) - set(EXTENSION)
    if unknown:
        raise ValueError(f"unknown format(s) {sorted(unknown)}; use {tuple(EXTENSION)}")
    fonts.register()
    fonts.check()
    svg = vlc.vegalite_to_svg(spec)
    if page:
        svg = on_page(svg, page)
    out = {}
    for fmt in formats:
        if fmt in PNG:
            scale, ppi = PNG[fmt]
            out[fmt] = vlc.svg_to_png(svg, scale=scale, ppi=ppi)
        elif fmt == "svg":
            out[fmt] = svg.encode("utf-8")
        else:
            out[fmt] = vlc.svg_to_pdf(svg)
    return out


def _warm() -> bool:
    """A new helper registers the font, renders once and imports the workbook writer (about a
    second), before it is needed."""
    import analytics.export.reports  # noqa: F401  (a pack's workbook is written in the helper)

    fonts.register()
    fonts.check()
    return True


_helper: list[ProcessPoolExecutor] = []
_warmed: list[Future] = []  # the helper's warm-up
_lock = threading.Lock()


class _Claims(NamedTuple):
    """Which jobs of the current batch are taken, in memory shared by this process and the helper
    (see Batch): the helper takes jobs from the front, this process from the back."""
    lock: Any     # multiprocessing.Lock
    front: Any    # RawValue: the next job the helper takes
    back: Any     # RawValue: one past the last job nobody has taken
    batch: Any    # RawValue: the batch the counters belong to

    def take(self, batch: int, from_back: bool) -> int | None:
        """The next job of `batch` nobody has taken (None: all taken, or another batch)."""
        with self.lock:
            if self.batch.value != batch or self.front.value >= self.back.value:
                return None
            if from_back:
                self.back.value -= 1
                return self.back.value
            self.front.value += 1
            return self.front.value - 1


_claims: list[_Claims] = []  # this process's handle on the counters (set in the helper by _attach)
_parcels: list[str] = []  # the folder of parcels (see _send), the same in the helper


def _attach(claims: _Claims, parcels: str) -> None:
    """The helper's initializer: keep the shared counters and the parcels' folder, and leave when
    the process that started it is gone."""
    _claims[:] = [claims]
    _parcels[:] = [parcels]
    processes.when_parent_dies(_leave, every=1)


def _leave() -> None:
    """In the helper, once its parent has died: remove the parcels' folder the parent can no
    longer remove, and exit (a server killed outright — SIGKILL, out of memory — otherwise leaves
    its helper behind, holding 300–500 MB, since nothing closes the pipe the helper waits on)."""
    shutil.rmtree(_parcels[0], ignore_errors=True)
    os._exit(0)


def _helper_pool() -> ProcessPoolExecutor | None:
    """The helper process, started on first use (spawned: the app's server runs threads, which a
    fork would copy mid-flight); None when it cannot start."""
    with _lock:
        if not _helper:
            context = multiprocessing.get_context("spawn")
            if not _parcels:  # made once by this process, removed when it exits
                _parcels.append(tempfile.mkdtemp(prefix="junheng-parcels-"))
                atexit.register(shutil.rmtree, _parcels[0], ignore_errors=True)
            try:
                claims = _Claims(context.Lock(), context.RawValue("i", 0), context.RawValue("i", 0),
                                 context.RawValue("i", 0))
                pool = ProcessPoolExecutor(max_workers=1, mp_context=context, initializer=_attach,
                                           initargs=(claims, _parcels[0]))
                with processes.bare_main():  # the helper process starts here, at its first job
                    warm = pool.submit(_warm)
            except (OSError, RuntimeError):
                return None
            _claims[:] = [claims]
            _helper.append(pool)
            _warmed[:] = [warm]
            atexit.register(pool.shutdown, wait=False, cancel_futures=True)
        return _helper[0]


def start_helper() -> Future | None:
    """Start the helper now (it warms up while the caller prepares what it will render): the
    future of its warm-up, None without a helper."""
    return _warmed[0] if _helper_pool() is not None else None


def _send(obj: Any) -> str:
    """obj pickled into a file (a parcel): only its path goes through the helper's pipe. The
    executor moves pipe data with threads of this process, a chunk at a time, and they starve
    while this process renders (vl-convert holds the GIL): megabytes of figures or tables sent
    that way reach the helper seconds late, and a result it cannot hand over blocks it."""
    fd, path = tempfile.mkstemp(dir=_parcels[0], suffix=".pickle")
    with os.fdopen(fd, "wb") as f:
        pickle.dump(obj, f, protocol=pickle.HIGHEST_PROTOCOL)
    return path


def _receive(path: str) -> Any:
    """A parcel's object (the parcel is removed)."""
    with open(path, "rb") as f:
        obj = pickle.load(f)
    os.unlink(path)
    return obj


def _discard(path: str) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


def _run(call: Callable[..., Any], parcel: str) -> str:
    """In the helper: call(*args) with the args of a parcel, its result sent as a parcel."""
    return _send(call(*_receive(parcel)))


class Job(NamedTuple):
    """call(*args), submitted to the helper process."""
    future: Future
    call: Callable[..., Any]
    args: tuple
    parcel: str | None  # the args, sent to the helper (None: run here)


def submit(call: Callable[..., Any], *args: Any) -> Job:
    """call(*args) in the helper process (call and args must pickle; a broken helper is replaced
    once; without one it runs here at once). E.g. submit(files, spec, formats, page)."""
    for _ in range(2):
        pool = _helper_pool()
        if pool is None:
            break
        parcel = _send(args)
        try:
            return Job(pool.submit(_run, call, parcel), call, args, parcel)
        except (BrokenProcessPool, RuntimeError):  # broken, or shut down
            _discard(parcel)
            stop_helper()
    done: Future = Future()
    try:
        done.set_result(call(*args))
    except Exception as error:  # raised by result(), as a helper's would be
        done.set_exception(error)
    return Job(done, call, args, None)


def result(job: Job) -> Any:
    """What a submitted job returned. A job the helper has not started is run here instead (the
    caller would only wait: collect the last jobs first and the two processes share the work),
    and so is one whose helper died (the next call starts a new one). A job's own error is raised
    here, wherever it ran."""
    if job.parcel is None:
        return job.future.result()
    if job.future.cancel():
        _discard(job.parcel)
        return job.call(*job.args)
    try:
        return _receive(job.future.result())
    except BrokenProcessPool:
        _discard(job.parcel)
        stop_helper()
        return job.call(*job.args)


def forget(job: Job) -> None:
    """Give up a submitted job (its caller failed): not started, it never runs; running, its
    result is thrown away when it comes."""
    if job.parcel is not None:
        _give_up(job.future, job.parcel)


def _give_up(future: Future, parcel: str) -> None:
    """Cancel work sent to the helper with `parcel`, or drop the parcel it replies with."""
    if future.cancel():
        _discard(parcel)
        return

    def drop(done: Future) -> None:
        if not done.cancelled() and done.exception() is None and done.result() is not None:
            _discard(done.result())
    future.add_done_callback(drop)


def _take_from_front(batch: int, parcel: str) -> str | None:
    """In the helper: render the batch's jobs (a parcel) from the front until none is left; the
    results as a parcel (a figure's own error is returned, to be raised where they are collected)."""
    jobs = _receive(parcel)
    done: dict[int, Any] = {}
    while (i := _claims[0].take(batch, from_back=False)) is not None:
        try:
            done[i] = files(*jobs[i])
        except Exception as error:  # noqa: BLE001 — raised again by Batch.results
            done[i] = error
    return _send(done) if done else None  # none taken: nobody waits for a reply


_batch_lock = threading.Lock()  # one shared batch at a time (another session's pack renders here)


class Batch:
    """Figures rendered by this process and the helper together: files(spec, formats, page) for
    each job. The helper takes jobs from the front as soon as it is free; this process takes them
    from the back when it calls results(). The counters live in shared memory, so the helper never
    waits for this process, whose rendering holds the GIL (the executor's own threads, which
    would feed a job at a time, starve while it renders)."""

    def __init__(self, jobs: list[tuple]):
        self.jobs = jobs
        self.future: Future | None = None
        self.parcel: str | None = None
        self.batch = 0  # its number in the shared counters (0: rendered here only)
        pool = _helper_pool() if jobs else None
        if pool is None or not _batch_lock.acquire(blocking=False):
            return  # no helper, or it is busy with another session's batch: all rendered here
        self.claims = _claims[0]
        try:
            with self.claims.lock:
                self.claims.batch.value += 1
                self.claims.front.value, self.claims.back.value = 0, len(jobs)
                self.batch = self.claims.batch.value
            self.parcel = _send(jobs)
            self.future = pool.submit(_take_from_front, self.batch, self.parcel)
        except (BrokenProcessPool, RuntimeError):
            if self.parcel:
                _discard(self.parcel)
            stop_helper()
            self._release()

    def abandon(self) -> None:
        """Give up the batch (its caller failed): the helper stops after the figure it is on, and
        what it had rendered is thrown away."""
        if self.batch:
            _give_up(self.future, self.parcel)
        self._release()

    def _release(self) -> None:
        if self.batch:
            with self.claims.lock:
                self.claims.batch.value += 1  # a helper that starts this batch late finds nothing
            self.batch = 0
            _batch_lock.release()

    def results(self) -> list[Any]:
        """Every job's files, in the jobs' order (a figure's own error is raised here)."""
        done: dict[int, Any] = {}
        try:
            if not self.batch:
                return [files(*job) for job in self.jobs]
            while (i := self.claims.take(self.batch, from_back=True)) is not None:
                try:
                    done[i] = files(*self.jobs[i])
                except Exception as error:  # noqa: BLE001 — raised below, once the helper is done
                    done[i] = error
            with self.claims.lock:
                helped = self.claims.front.value  # jobs 0 … helped − 1 were taken by the helper
            if helped:
                try:
                    done.update(_receive(self.future.result()))
                except BrokenProcessPool:
                    stop_helper()
            elif self.future.cancel():  # never started: its parcel is still there
                _discard(self.parcel)
        finally:
            self._release()
        for i, job in enumerate(self.jobs):
            if i not in done:  # taken by a helper that died
                done[i] = files(*job)
            if isinstance(done[i], Exception):
                raise done[i]
        return [done[i] for i in range(len(self.jobs))]


def stop_helper(wait: bool = False) -> None:
    """Stop the helper process, if any (the next figure submitted starts a new one)."""
    with _lock:
        pool = _helper.pop() if _helper else None
    if pool is not None:
        pool.shutdown(wait=wait, cancel_futures=True)

