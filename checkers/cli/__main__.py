"""``python -m checkers.cli``."""

import sys

from checkers.cli import main

sys.exit(main())
