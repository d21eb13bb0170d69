"""`python -m analytics …`: see analytics/cli.py."""

import sys

from analytics.cli import main

if __name__ == "__main__":  # not when a helper process (analytics.rendering) imports the main module
    sys.exit(main())
