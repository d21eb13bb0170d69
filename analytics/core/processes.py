"""Child processes that must not outlive the process that started them (the app's server): an
import child and the pack's rendering helper. A server killed outright (SIGKILL, out of memory)
runs no exit handler and closes nothing a child waits on, so the child watches for itself."""

from __future__ import annotations

import contextlib
import os
import sys
import threading
import time
import types
from typing import Callable, Iterator


def parent_alive(parent: int) -> bool:
    """Whether `parent` (a pid taken at start) is still this process's parent: a dead parent's
    children are adopted by another process, so the parent pid changes."""
    return os.getppid() == parent


def when_parent_dies(action: Callable[[], None], parent: int | None = None, every: float = 0.2) -> int:
    """Run `action` in a daemon thread once `parent` (default: the current parent) is gone —
    at once if it already is; returns its pid. Pass the pid the parent gave the child: one that
    died while the child started would otherwise go unnoticed. `action` normally ends the
    process (os._exit)."""
    parent = os.getppid() if parent is None else parent

    def watch() -> None:
        while parent_alive(parent):
            time.sleep(every)
        action()

    threading.Thread(target=watch, name="follow-parent", daemon=True).start()
    return parent


@contextlib.contextmanager
def bare_main() -> Iterator[None]:
    """Start spawned children inside this: a __main__ module without a file meanwhile. A spawned
    process runs its parent's main script first, and under Streamlit that is the page being run
    (the child would run the whole page, in bare mode, before its own work); a script of one's
    own would run twice, or refuse to start a child without an `if __name__ == "__main__"` guard."""
    main = sys.modules.get("__main__")
    sys.modules["__main__"] = types.ModuleType("__main__")
    try:
        yield
    finally:
        if main is not None:
            sys.modules["__main__"] = main
