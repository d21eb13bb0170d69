"""Helpers of the browser tests: a fresh `streamlit run app.py`, Debian's Chromium as CI runs it
(software rendering), and waits for what really happens — the app's own "script not running"
mark, a URL, a text, the map's own canvas, a map tooltip, a drawing that stopped changing —
never a fixed sleep, never a widget that may not appear."""

from __future__ import annotations

import io
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "tests" / "artifacts"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
# a map whose first view is fitted to a width (pages/ui/common.map_key)
MAP = "[class*='-fitted'] [data-testid='stDeckGlJsonChart']"
# … drawn (its canvas), and that width is its column's (in the 8 px steps the column reports): a
# new visitor's first map is drawn at the width this server's screens last had, and again, fitted,
# when the column's differs
MAP_READY = """() => [...document.querySelectorAll("[class*='-fitted']")].some(holder => {
  const chart = holder.querySelector("[data-testid='stDeckGlJsonChart']");
  const width = (holder.className.match(/-w(\\d+)-fitted/) || [])[1];
  return !!chart && !!chart.querySelector("canvas")
    && Number(width) === Math.floor(Math.round(chart.getBoundingClientRect().width) / 8) * 8;
})"""
TIMEOUT = 120_000  # ms: a first national map in software rendering under load


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def running_app(db_path):
    """A fresh `streamlit run app.py` on the database, on a free loopback port: yields its URL."""
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail("Debian chromium is not installed: .ci/run must install it")
        pytest.skip("chromium not installed (apt-get install chromium fonts-noto-cjk)")
    port = _free_port()
    env = dict(os.environ, JUNHENG_DB=str(db_path))
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.headless", "true",
         "--server.port", str(port), "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            urllib.request.urlopen(url + "/_stcore/health", timeout=2)
            break
        except OSError:
            time.sleep(0.5)
    else:
        proc.kill()
        pytest.fail("streamlit did not start within 60 s")
    yield url
    proc.terminate()
    proc.wait(timeout=20)


def launch(p):
    return p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


def idle(page, timeout: int = TIMEOUT) -> None:
    """Until the app's script is not running: Streamlit marks its root with the script's state.
    Call it after something that shows the run has started or ended (a URL, a text, an element)."""
    page.wait_for_function("() => document.querySelector(\"[data-testid='stApp']\")"
                           "?.getAttribute('data-test-script-state') === 'notRunning'", timeout=timeout)


def query(page) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlparse(page.url).query).items()}


def wait_for_query(page, key: str, value: str, timeout: int = 60_000) -> None:
    """Until the URL says key=value (the app writes it at the end of the run that handled the
    action), then until that run is over."""
    page.wait_for_function(f"() => new URLSearchParams(window.location.search).get({key!r}) === {value!r}",
                           timeout=timeout)
    idle(page)


def wait_for_text(page, selector: str, text: str, timeout: int = TIMEOUT) -> None:
    """Until an element matching selector contains text, then until the run is over."""
    page.wait_for_function("([s, t]) => [...document.querySelectorAll(s)].some(e => e.innerText.includes(t))",
                           arg=[selector, text], timeout=timeout)
    idle(page)


def open_page(p, url: str, width: int = 1920, height: int = 1080, ready: str = "[data-testid='stMain'] h1"):
    """A new browser at the URL, once the page's `ready` element is there and the run is over."""
    browser = launch(p)
    page = browser.new_page(viewport={"width": width, "height": height})
    page.goto(url)
    page.wait_for_selector(ready, timeout=TIMEOUT)
    idle(page)
    return browser, page


def wait_for_map(page, timeout: int = TIMEOUT) -> None:
    """Until the map is drawn, fitted to its column (see MAP_READY), and no run is going on."""
    page.wait_for_function(MAP_READY, timeout=timeout)
    idle(page, timeout)


def open_map(p, url: str, width: int = 1920, height: int = 1080):
    """A new browser at the URL once the fitted map's own canvas is drawn (a chart's canvas comes
    first on /progress) and the run is over."""
    browser, page = open_page(p, url, width, height)
    wait_for_map(page)
    return browser, page


def fitted_width(box: dict) -> int:
    """The width the map's first view was fitted to: its column's (the frame's clientWidth, a
    rounded number), in the 8 px steps reported."""
    return round(box["width"]) // 8 * 8


def hover_until_tooltip(page, x: float, y: float, timeout: int = 30_000) -> str:
    """Move the pointer to (x, y) until deck.gl shows a tooltip there: the layer has picked what
    is under the pointer, so a click now selects it. Returns the tooltip's text."""
    page.mouse.move(x - 3, y - 3)
    page.mouse.move(x, y)
    tip = "[...document.querySelectorAll('.deck-tooltip')].find(e => e.style.display !== 'none' && e.innerText.trim())"
    page.wait_for_function(f"() => !!{tip}", timeout=timeout)
    return page.evaluate(f"() => {tip}.innerText")


def stable_screenshot(element, timeout: float = 30.0) -> bytes:
    """The element's screenshot once two in a row are identical: deck.gl draws over several
    animation frames (and loads its picture layers), so the first shot may catch it mid-way."""
    last = element.screenshot()
    deadline = time.time() + timeout
    while time.time() < deadline:
        shot = element.screenshot()
        if shot == last:
            return shot
        last = shot
    return last


def map_image(page):
    """The fitted map as drawn, with the pointer off it (a tooltip left after that is stuck)."""
    from PIL import Image

    page.mouse.move(1, 1)
    wait_for_map(page)
    element = page.wait_for_selector(MAP, timeout=TIMEOUT)
    element.scroll_into_view_if_needed()
    return Image.open(io.BytesIO(stable_screenshot(element))).convert("RGB")
