"""One base for every error a user can act on: its message says what is wrong and where (a file,
a row, a value), so the CLI prints it on one line and a page shows it instead of a traceback."""

from __future__ import annotations


class JunhengError(Exception):
    """A bad input file, criteria or plan, a database that cannot be read, a missing font…"""
