"""Junheng analytics: data model, demo data, the official 优质均衡 assessment, maps and exports.

Plain Python (no Streamlit): everything a page shows is computed and tested here.
"""

__version__ = "0.1.0"
