"""``python -m fastbp.cli``: the same as ``python -m fastbp``."""
import sys

from fastbp.cli import main

sys.exit(main())
