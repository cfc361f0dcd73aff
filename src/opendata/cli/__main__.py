"""``python -m opendata.cli``: the same as the ``opendata`` command."""

import sys

from . import main

sys.exit(main())
