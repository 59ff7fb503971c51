"""`python -m aecore ...`: see aecore.cli."""

import sys

from aecore.cli import main

sys.exit(main())
