"""Cognito's variant of SRP-6a: pure functions, no I/O.

Used for the user password (USER_SRP_AUTH / PASSWORD_VERIFIER) and for remembered
devices (DEVICE_SRP_AUTH / DEVICE_PASSWORD_VERIFIER): the same math with the device
group key in place of the pool name and the device key in place of the user id.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timezone

# RFC 5054 appendix A, the 3072-bit group; generator 2.
N_HEX = (
    "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74"
    "020BBEA63B139B22514A08798E3404DDEF9519B3CD3A431B302B0A6DF25F1437"
    "4FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED"
    "EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF05"
    "98DA48361C55D39A69163FA8FD24CF5F83655D23DCA3AD961C62F356208552BB"
    "9ED529077096966D670C354E4ABC9804F1746C08CA18217C32905E462E36CE3B"
    "E39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF695581718"
    "3995497CEA956AE515D2261898FA051015728E5A8AAAC42DAD33170D04507A33"
    "A85521ABDF1CBA64ECFB850458DBEF0A8AEA71575D060C7DB3970F85A6E1E4C7"
    "ABF5AE8CDB0933D71E8C94E04A25619DCEE3D2261AD2EE6BF12FFA06D98A0864"
    "D87602733EC86A64521F2B18177B200CBBE117577A615D6C770988C0BAD946E2"
    "08E24FA074E5AB3143DB5BFCE0FD108E4B82D120A93AD2CAFFFFFFFFFFFFFFFF"
)
N = int(N_HEX, 16)
G = 2
INFO = b"Caldera Derived Key"

_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def pad_hex(value: int) -> str:
    """Hex of a non-negative number as Cognito hashes it: even length, and a
    leading 00 when the top bit is set (so it never reads as negative)."""
    text = format(value, "x")
    if len(text) % 2:
        return "0" + text
    if text[0] in "89abcdef":
        return "00" + text
    return text


def _hash_hex(hex_text: str) -> int:
    return int(hashlib.sha256(bytes.fromhex(hex_text)).hexdigest(), 16)


K = _hash_hex(pad_hex(N) + pad_hex(G))


def generate_private() -> tuple[int, int]:
    """A random client secret ``a`` and its public value ``A = g^a mod N``."""
    while True:
        a = secrets.randbits(1024)
        try:
            return a, public_from_private(a)
        except ValueError:
            continue


def public_from_private(a: int) -> int:
    """``A = g^a mod N``; ValueError for an ``a`` whose A is 0 mod N (SRP forbids it)."""
    big_a = pow(G, a, N)
    if big_a % N == 0:
        raise ValueError("A mod N is 0")
    return big_a


def compute_x(salt_hex: str, realm: str, user_id: str, password: str) -> int:
    inner = hashlib.sha256(f"{realm}{user_id}:{password}".encode()).hexdigest()
    return _hash_hex(pad_hex(int(salt_hex, 16)) + inner)


def hkdf_key(ikm: bytes, salt: bytes) -> bytes:
    """HKDF-SHA256, one block, first 16 bytes: the key the proof is signed with."""
    prk = hmac.new(salt, ikm, hashlib.sha256).digest()
    return hmac.new(prk, INFO + b"\x01", hashlib.sha256).digest()[:16]


def password_key(
    a: int, big_a: int, big_b_hex: str, salt_hex: str, realm: str, user_id: str, password: str
) -> bytes:
    """The 16-byte key both sides derive when the password is right."""
    big_b = int(big_b_hex, 16)
    if big_b % N == 0:
        raise ValueError("the server sent an invalid SRP_B")
    u = _hash_hex(pad_hex(big_a) + pad_hex(big_b))
    if u == 0:
        raise ValueError("SRP scrambler u is 0")
    x = compute_x(salt_hex, realm, user_id, password)
    s = pow(big_b - K * pow(G, x, N), a + u * x, N)
    return hkdf_key(bytes.fromhex(pad_hex(s)), bytes.fromhex(pad_hex(u)))


def timestamp(moment: datetime | None = None) -> str:
    """``Wed Nov 26 08:05:09 UTC 2026``: English names, unpadded day, padded time."""
    when = (moment or datetime.now(timezone.utc)).astimezone(timezone.utc)
    return (
        f"{_DAYS[when.weekday()]} {_MONTHS[when.month - 1]} {when.day} "
        f"{when.hour:02d}:{when.minute:02d}:{when.second:02d} UTC {when.year}"
    )


def claim_signature(key: bytes, realm: str, user_id: str, secret_block_b64: str, stamp: str) -> str:
    message = (
        realm.encode() + user_id.encode() + base64.b64decode(secret_block_b64) + stamp.encode()
    )
    return base64.b64encode(hmac.new(key, message, hashlib.sha256).digest()).decode()


@dataclass(frozen=True)
class Proof:
    signature: str
    secret_block: str
    timestamp: str


def answer_challenge(
    *,
    a: int,
    big_a: int,
    realm: str,
    user_id: str,
    password: str,
    salt_hex: str,
    big_b_hex: str,
    secret_block_b64: str,
    moment: datetime | None = None,
) -> Proof:
    """Everything PASSWORD_VERIFIER (or DEVICE_PASSWORD_VERIFIER) needs."""
    key = password_key(a, big_a, big_b_hex, salt_hex, realm, user_id, password)
    stamp = timestamp(moment)
    return Proof(
        claim_signature(key, realm, user_id, secret_block_b64, stamp), secret_block_b64, stamp
    )


def pool_realm(user_pool_id: str) -> str:
    """The pool name SRP hashes: the part of the pool id after the underscore."""
    return user_pool_id.split("_", 1)[1]


@dataclass(frozen=True)
class DeviceVerifier:
    password: str
    salt_hex: str
    verifier_b64: str
    salt_b64: str


def device_verifier(group_key: str, device_key: str) -> DeviceVerifier:
    """A random device password and the verifier ConfirmDevice registers for it."""
    password = base64.b64encode(secrets.token_bytes(40)).decode()
    salt_hex = pad_hex(int.from_bytes(secrets.token_bytes(16), "big"))
    x = compute_x(salt_hex, group_key, device_key, password)
    verifier = pow(G, x, N)
    return DeviceVerifier(
        password=password,
        salt_hex=salt_hex,
        verifier_b64=base64.b64encode(bytes.fromhex(pad_hex(verifier))).decode(),
        salt_b64=base64.b64encode(bytes.fromhex(salt_hex)).decode(),
    )


def secret_hash(username: str, client_id: str, client_secret: str) -> str:
    digest = hmac.new(
        client_secret.encode(), (username + client_id).encode(), hashlib.sha256
    ).digest()
    return base64.b64encode(digest).decode()
