"""The server side of Cognito's SRP, written for the tests without the product's code.

It lets the fixture check real proofs, which moto does not: a client that only ever
met moto could send any signature and pass.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
from dataclasses import dataclass
from datetime import datetime, timezone

# RFC 5054, appendix A: the 3072-bit group. Typed out again on purpose.
_N = int(
    "FFFFFFFF FFFFFFFF C90FDAA2 2168C234 C4C6628B 80DC1CD1 29024E08 8A67CC74 020BBEA6 3B139B22"
    " 514A0879 8E3404DD EF9519B3 CD3A431B 302B0A6D F25F1437 4FE1356D 6D51C245 E485B576 625E7EC6"
    " F44C42E9 A637ED6B 0BFF5CB6 F406B7ED EE386BFB 5A899FA5 AE9F2411 7C4B1FE6 49286651 ECE45B3D"
    " C2007CB8 A163BF05 98DA4836 1C55D39A 69163FA8 FD24CF5F 83655D23 DCA3AD96 1C62F356 208552BB"
    " 9ED52907 7096966D 670C354E 4ABC9804 F1746C08 CA18217C 32905E46 2E36CE3B E39E772C 180E8603"
    " 9B2783A2 EC07A28F B5C55DF0 6F4C52C9 DE2BCBF6 95581718 3995497C EA956AE5 15D22618 98FA0510"
    " 15728E5A 8AAAC42D AD33170D 04507A33 A85521AB DF1CBA64 ECFB8504 58DBEF0A 8AEA7157 5D060C7D"
    " B3970F85 A6E1E4C7 ABF5AE8C DB0933D7 1E8C94E0 4A25619D CEE3D226 1AD2EE6B F12FFA06 D98A0864"
    " D8760273 3EC86A64 521F2B18 177B200C BBE11757 7A615D6C 770988C0 BAD946E2 08E24FA0 74E5AB31"
    " 43DB5BFC E0FD108E 4B82D120 A93AD2CA FFFFFFFF FFFFFFFF".replace(" ", ""),
    16,
)
_G = 2
TIMESTAMP_RE = re.compile(
    r"^(Mon|Tue|Wed|Thu|Fri|Sat|Sun) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) "
    r"([1-9]|[12]\d|3[01]) ([01]\d|2[0-3]):[0-5]\d:[0-5]\d UTC \d{4}$"
)


def _bytes(n: int) -> bytes:
    """Big-endian bytes with a zero byte in front when the top bit is set."""
    raw = n.to_bytes(max(1, (n.bit_length() + 7) // 8), "big")
    return b"\x00" + raw if raw[0] & 0x80 else raw


def _h(*parts: bytes) -> int:
    return int.from_bytes(hashlib.sha256(b"".join(parts)).digest(), "big")


_K = _h(_bytes(_N), _bytes(_G))


def verifier_for(realm: str, user_id: str, password: str, salt: int) -> int:
    inner = hashlib.sha256(f"{realm}{user_id}:{password}".encode()).hexdigest()
    return pow(_G, _h(_bytes(salt), bytes.fromhex(inner)), _N)


@dataclass
class ServerSession:
    realm: str
    user_id: str
    salt: int
    verifier: int
    b: int
    big_b: int
    big_a: int
    secret_block: bytes

    @property
    def challenge(self) -> dict[str, str]:
        return {
            "SALT": format(self.salt, "x"),
            "SRP_B": format(self.big_b, "x"),
            "SECRET_BLOCK": base64.b64encode(self.secret_block).decode(),
        }

    def check(self, signature_b64: str, timestamp: str, now: datetime | None = None) -> bool:
        if not TIMESTAMP_RE.match(timestamp):
            return False
        when = datetime.strptime(timestamp, "%a %b %d %H:%M:%S UTC %Y").replace(tzinfo=timezone.utc)
        if abs((when - (now or datetime.now(timezone.utc))).total_seconds()) > 300:
            return False
        u = _h(_bytes(self.big_a), _bytes(self.big_b))
        shared = pow(self.big_a * pow(self.verifier, u, _N), self.b, _N)
        prk = hmac.new(_bytes(u), _bytes(shared), hashlib.sha256).digest()
        key = hmac.new(prk, b"Caldera Derived Key\x01", hashlib.sha256).digest()[:16]
        message = (
            self.realm.encode() + self.user_id.encode() + self.secret_block + timestamp.encode()
        )
        expected = base64.b64encode(hmac.new(key, message, hashlib.sha256).digest()).decode()
        return hmac.compare_digest(expected, signature_b64)


def start(realm: str, user_id: str, verifier: int, salt: int, srp_a_hex: str) -> ServerSession:
    big_a = int(srp_a_hex, 16)
    if big_a % _N == 0:
        raise ValueError("SRP_A mod N is 0")
    b = int.from_bytes(os.urandom(32), "big")
    big_b = (_K * verifier + pow(_G, b, _N)) % _N
    return ServerSession(realm, user_id, salt, verifier, b, big_b, big_a, os.urandom(64))


def start_for_password(realm: str, user_id: str, password: str, srp_a_hex: str) -> ServerSession:
    salt = int.from_bytes(os.urandom(16), "big")
    return start(realm, user_id, verifier_for(realm, user_id, password, salt), salt, srp_a_hex)
