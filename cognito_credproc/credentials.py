"""AWS credentials as cached and printed. Light to import: the cache-hit path uses it."""

from __future__ import annotations

from ._record import record

MAX_EPOCH = 1e11  # the year 5138: later is not a time
MAX_FIELD_CHARS = 64 * 1024


def check_field(value: object, what: str) -> str:
    """A credential field as the services give it: printable ASCII without spaces,
    quotes or backslashes (so it can neither end a quoted string nor add a line)."""
    if (
        not isinstance(value, str)
        or not value
        or len(value) > MAX_FIELD_CHARS
        or not (value.isascii() and value.isprintable())
        or any(ch in value for ch in " \"'\\`$")
    ):
        raise ValueError(f"{what} is not a credential string")
    return value


def check_expiration(value: object) -> float:
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        raise ValueError("Expiration is not a number")
    if value != value or not 0 < value < MAX_EPOCH:
        raise ValueError("Expiration out of range")
    return float(value)


@record
class Credentials:
    access_key_id: str
    secret_access_key: str
    session_token: str
    expiration: float  # epoch seconds, UTC
    account_id: str | None = None

    def to_json(self) -> dict[str, object]:
        data: dict[str, object] = {
            "version": 1,
            "AccessKeyId": self.access_key_id,
            "SecretAccessKey": self.secret_access_key,
            "SessionToken": self.session_token,
            "Expiration": self.expiration,
        }
        if self.account_id:
            data["AccountId"] = self.account_id
        return data

    def shifted(self, seconds: float) -> Credentials:
        """The same credentials with Expiration moved, e.g. into this machine's clock."""
        return Credentials(
            self.access_key_id,
            self.secret_access_key,
            self.session_token,
            self.expiration + seconds,
            self.account_id,
        )

    def with_account(self, account_id: str | None) -> Credentials:
        """The same keys, labelled with another AccountId (a profile's own setting)."""
        if account_id == self.account_id:
            return self
        return Credentials(
            self.access_key_id,
            self.secret_access_key,
            self.session_token,
            self.expiration,
            account_id,
        )

    @classmethod
    def from_json(cls, data: dict[str, object]) -> Credentials:
        """Rebuild from the cache; ValueError on anything misshapen."""
        if data.get("version") != 1:
            raise ValueError("unknown credentials cache version")
        strings = [
            check_field(data.get(k), k) for k in ("AccessKeyId", "SecretAccessKey", "SessionToken")
        ]
        expiration = check_expiration(data.get("Expiration"))
        account = data.get("AccountId")
        if account is not None:
            account = check_field(account, "AccountId")
        return cls(strings[0], strings[1], strings[2], expiration, account)
