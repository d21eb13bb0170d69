"""Shared by the benchmarks: the database to measure (the one given, else a fresh Sichuan demo)."""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from analytics.synthetic import demo  # noqa: E402

# Streamlit marks its root with the script's state: a page is settled when no run is going on.
# (The minimal toolbar never shows Streamlit's status widget, so waiting for it to go waited for nothing.)
IDLE = ("() => document.querySelector(\"[data-testid='stApp']\")"
        "?.getAttribute('data-test-script-state') === 'notRunning'")


def database(given: Path | None, workdir: str | Path) -> Path:
    """`given`, or a Sichuan demo database built in workdir (about 12 s)."""
    if given is not None:
        return given
    path = Path(workdir) / "demo.duckdb"
    demo.build_demo(path)
    return path


def arguments(doc: str, year: bool = False, extra=None) -> argparse.Namespace:
    """The command line of a benchmark: --db (else a fresh Sichuan demo in a temporary folder,
    `args.workdir`, removed at exit) and, with `year`, --year (default 2026). `extra(parser)`
    adds a benchmark's own options."""
    p = argparse.ArgumentParser(description=doc.splitlines()[0])
    p.add_argument("--db", type=Path)
    if year:
        p.add_argument("--year", type=int, default=2026)
    if extra is not None:
        extra(p)
    args = p.parse_args()
    args.tmp = tempfile.TemporaryDirectory()  # removed when the benchmark's process ends
    args.workdir = Path(args.tmp.name)
    args.db = database(args.db, args.workdir)
    return args


def start_server(db: Path | None, read_only: bool = False, script: Path | None = None) -> tuple[subprocess.Popen, str]:
    """A fresh `streamlit run app.py` (or `script`) on `db`, on a free loopback port: (process, URL)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = dict(os.environ, **({"JUNHENG_DB": str(db)} if db is not None else {}),
               **({"JUNHENG_READONLY": "1"} if read_only else {}))
    root = Path(__file__).resolve().parents[1]
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", str(script or root / "app.py"), "--server.headless",
                             "true", "--server.port", str(port), "--server.address", "127.0.0.1",
                             "--browser.gatherUsageStats", "false"], cwd=root, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    for _ in range(120):
        try:
            urllib.request.urlopen(url + "/_stcore/health", timeout=2)
            return proc, url
        except OSError:
            time.sleep(0.5)
    proc.kill()
    raise SystemExit("streamlit did not start")
