"""Reading the project's TOML rule files (criteria, plans): one way to open them and to point at a
line, so every refusal names the file and the line an official has to open and fix."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path


def read(path: Path, error: type[Exception], what: str) -> tuple[str, dict]:
    """The text and parsed tables of a TOML file. A file that is missing, not UTF-8, not TOML,
    nested too deeply or not a file raises `error` with one line naming it (and the line)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise error(f"{what} file not found: {path}") from None
    except UnicodeDecodeError:
        raise error(f"{path}: not UTF-8 text (save the file as UTF-8)") from None
    except OSError as exc:  # a folder, no permission
        raise error(f"{path}: cannot be read ({exc.strerror or exc})") from None
    try:
        return text, tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        line = getattr(exc, "lineno", None) or (re.search(r"line (\d+)", str(exc)) or [None, "?"])[1]
        raise error(f"{path}, line {line}: not valid TOML ({getattr(exc, 'msg', exc)})") from None
    except RecursionError:
        raise error(f"{path}: nested too deeply to be a {what} file") from None


def line_of(text: str, table: str, n: int = 1, key: str | None = None) -> int:
    """Line (1-based) of the n-th `[table]` or `[[table]]` header, or of `key` inside it; 1 when
    the file has no such table (the error is then about the whole file)."""
    lines = text.splitlines()
    header = re.compile(rf"\s*\[\[?\s*{re.escape(table)}\s*\]\]?\s*(#.*)?$")
    headers = [i for i, line in enumerate(lines) if header.match(line)]
    if not 0 < n <= len(headers):
        return 1
    start = headers[n - 1]
    any_header = re.compile(r"\s*\[\[?\s*[A-Za-z0-9_.-]+\s*\]\]?\s*(#.*)?$")
    end = next((i for i in range(start + 1, len(lines)) if any_header.match(lines[i])), len(lines))
    if key:
        for i in range(start, end):
            if re.match(rf"\s*{re.escape(key)}\s*=", lines[i]):
                return i + 1
    return start + 1
