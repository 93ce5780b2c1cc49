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
        # AWS_REGION for the AWS CLI v2 and most SDKs; boto3 and the AWS CLI v1 read
        # only AWS_DEFAULT_REGION.
        "AWS_REGION": region,
        "AWS_DEFAULT_REGION": region,
    }
    if creds.account_id:
        variables["AWS_ACCOUNT_ID"] = creds.account_id
    return variables


# PowerShell ends a single-quoted string at any of these, not only at the ASCII quote.
POWERSHELL_QUOTES = "'\u2018\u2019\u201a\u201b"


def powershell_quote(value: str) -> str:
    """A PowerShell string expression that cannot end early or span lines: text in single
    quotes with every kind of single quote doubled, control characters as ``[char]``."""
    parts: list[str] = []
    run = ""
    for ch in value:
        if ord(ch) < 32 or ord(ch) == 127:
            parts += [f"'{run}'", f"[char]0x{ord(ch):02x}"]
            run = ""
        else:
            run += ch * 2 if ch in POWERSHELL_QUOTES else ch
    parts.append(f"'{run}'")
    if parts[-1] == "''" and len(parts) > 1:
        parts.pop()
    return " + ".join(parts)  # starts with a string, so ``+`` concatenates


def dotenv_quote(value: str) -> str:
    """A double-quoted dotenv value on one line: backslash escapes for the backslash,
    the double quote and every control character (newlines as ``\\n``)."""
    named = {"\n": "\\n", "\r": "\\r", "\t": "\\t", "\\": "\\\\", '"': '\\"'}
    out = []
    for ch in value:
        if ch in named:
            out.append(named[ch])
        elif ord(ch) < 32 or ord(ch) == 127:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


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
            lines.append(f"$Env:{name} = {powershell_quote(value)}")
        elif fmt == "dotenv":
            lines.append(f"{name}={dotenv_quote(value)}")
        else:
            raise ValueError(fmt)
    return "\n".join(lines)
