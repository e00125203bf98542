"""``python -m bench``: run every benchmark and write bench/RESULTS.md."""

import sys

from .run import main

sys.exit(main())
