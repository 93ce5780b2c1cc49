"""``python -m cognito_credproc``: the same as the ``cognito-credproc`` command."""

import sys

from .cli import main

sys.exit(main())
