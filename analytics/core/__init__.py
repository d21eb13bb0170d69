"""Shared ground of every layer: the strings in both languages (i18n), errors, paths, TOML
reading, child processes, spreadsheet-cell safety. Imports nothing else of analytics."""
