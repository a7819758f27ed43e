"""``python -m radargest``."""

import sys

from radargest.cli import main

sys.exit(main())
