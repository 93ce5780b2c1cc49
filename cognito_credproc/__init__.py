"""cognito-credproc: an AWS credential_process helper for Amazon Cognito."""

__version__ = "0.1.0"
