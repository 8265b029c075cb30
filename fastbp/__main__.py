"""``python -m fastbp``: the command line (see fastbp.cli)."""
import sys

from fastbp.cli import main

sys.exit(main())
