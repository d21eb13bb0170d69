"""The demo: a synthetic country driven by the real census (demo), and how realistic a
database looks against published statistics (calibration)."""
