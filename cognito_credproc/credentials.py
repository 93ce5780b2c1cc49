"""AWS credentials as cached and printed. Light to import: the cache-hit path uses it."""

from __future__ import annotations

from ._record import record


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
        strings = [data.get(k) for k in ("AccessKeyId", "SecretAccessKey", "SessionToken")]
        if not all(isinstance(v, str) and v for v in strings):
            raise ValueError("credentials missing")
        expiration = data.get("Expiration")
        if not isinstance(expiration, (int, float)) or isinstance(expiration, bool):
            raise ValueError("Expiration is not a number")
        if expiration != expiration or not 0 < expiration < 1e11:
            raise ValueError("Expiration out of range")
        account = data.get("AccountId")
        if account is not None and not isinstance(account, str):
            raise ValueError("AccountId is not a string")
        return cls(str(strings[0]), str(strings[1]), str(strings[2]), float(expiration), account)
