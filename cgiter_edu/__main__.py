"""``python -m cgiter_edu ...`` is ``cgiter-edu ...`` (handy where the script is not on
PATH, e.g. ``sudo .venv/bin/python -m cgiter_edu live``)."""

import sys

from .cli import main

sys.exit(main())
