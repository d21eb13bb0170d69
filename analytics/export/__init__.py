"""Results as files: print-ready figures and the A4 sheet (exports), official-format Excel
(reports), slides, the briefing pack, rendering, and what every file carries (output)."""
