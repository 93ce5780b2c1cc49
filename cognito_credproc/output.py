"""What goes to stdout: the credential_process JSON and the other formats.

The JSON is a wire format: botocore and every other SDK parse it strictly, and an
Expiration without a time zone breaks some of them.
"""

from __future__ import annotations

import json
import time

TYPE_CHECKING = False
if TYPE_CHECKING:
    from .credentials import Credentials


def iso_utc(epoch: float) -> str:
    """``2026-11-26T08:00:00Z``: seconds precision, always UTC with a Z."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(int(epoch)))


def credential_process_json(creds: Credentials) -> str:
    data: dict[str, object] = {
        "Version": 1,
        "AccessKeyId": creds.access_key_id,
        "SecretAccessKey": creds.secret_access_key,
        "SessionToken": creds.session_token,
        "Expiration": iso_utc(creds.expiration),
    }
    if creds.account_id:
        data["AccountId"] = creds.account_id
    return json.dumps(data)


ENV_FORMATS = ("sh", "fish", "powershell", "dotenv")


def env_variables(creds: Credentials, region: str) -> dict[str, str]:
    variables = {
        "AWS_ACCESS_KEY_ID": creds.access_key_id,
        "AWS_SECRET_ACCESS_KEY": creds.secret_access_key,
        "AWS_SESSION_TOKEN": creds.session_token,
        "AWS_CREDENTIAL_EXPIRATION": iso_utc(creds.expiration),
        "AWS_REGION": region,
    }
    if creds.account_id:
        variables["AWS_ACCOUNT_ID"] = creds.account_id
    return variables


def env_lines(variables: dict[str, str], fmt: str) -> str:
    import shlex

    lines = []
    for name, value in variables.items():
        if fmt == "sh":
            lines.append(f"export {name}={shlex.quote(value)}")
        elif fmt == "fish":
            quoted = value.replace("\\", "\\\\").replace("'", "\\'")
            lines.append(f"set -gx {name} '{quoted}'")
        elif fmt == "powershell":
            quoted = value.replace("'", "''")
            lines.append(f"$Env:{name} = '{quoted}'")
        elif fmt == "dotenv":
            quoted = value.replace("\\", "\\\\").replace('"', '\\"')
            lines.append(f'{name}="{quoted}"')
        else:
            raise ValueError(fmt)
    return "\n".join(lines)
