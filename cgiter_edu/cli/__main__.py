"""``python -m cgiter_edu.cli``: the ``cgiter-edu`` command."""

import sys

from .parser import main

sys.exit(main())
