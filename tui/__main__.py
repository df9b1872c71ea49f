"""``python -m tui`` runs the ``pmbrowse`` command."""

import sys

from tui.cli import main

sys.exit(main())
