"""``python -m chatserver``: see :mod:`chatserver.cli`."""

import sys

from .cli import main

sys.exit(main())
