"""``python -m cognito_credproc``: the same as the ``cognito-credproc`` command."""

from .cli import run

run()
