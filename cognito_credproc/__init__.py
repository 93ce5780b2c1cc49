"""cognito-credproc: an AWS credential_process helper for Amazon Cognito."""

import os as _os

__version__ = "0.1.0"

# The process that started this one, read as early as possible: a wait loop gives up
# when it has exited (see parentwatch), even if it died before the wait began.
STARTED_BY: int = _os.getppid()
