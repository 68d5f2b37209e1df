"""Record the golden hashes of this platform: runs tests/golden with STYLEFUSE_GOLDEN_UPDATE=1.

    python tests/golden/regenerate.py [-k cli]     # extra arguments go to pytest

Only do this when an output is meant to change (or on a new platform); say why in the commit.
"""

import os
import subprocess
import sys
from pathlib import Path

if __name__ == "__main__":
    env = dict(os.environ, STYLEFUSE_GOLDEN_UPDATE="1")
    here = Path(__file__).resolve().parent
    sys.exit(subprocess.call([sys.executable, "-m", "pytest", str(here), "-q", *sys.argv[1:]], env=env))
