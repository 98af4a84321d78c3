"""``python -m hance_plugin`` runs the command line (see ``hance_plugin.cli``)."""

import sys

from .cli import main

sys.exit(main())
