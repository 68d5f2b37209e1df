"""`python -m stylefuse.cli ...` = `stylefuse ...`."""

import sys

from .app import main

sys.exit(main())
