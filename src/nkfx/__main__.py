"""Run the ``nkfx`` command line: ``python -m nkfx ...``."""

import sys

from nkfx.cli import main

if __name__ == "__main__":
    sys.exit(main())
