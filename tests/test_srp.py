"""SRP checked against answers this project's code did not compute: pycognito (an
independent client, installed only for tests) and the test-side server verifier."""

from __future__ import annotations

import base64
import hashlib
import hmac
import random
from datetime import datetime, timedelta, timezone

import pytest
from pycognito import aws_srp

from cognito_credproc import srp

from . import srp_server

POOL_ID = "us-east-1_AbCdEf123"
FIXED_A = int("c0ffee" * 40, 16)


def pycognito_client(a: int, password: str = "pw", user: str = "alice") -> aws_srp.AWSSRP:
    client = aws_srp.AWSSRP(user, password, POOL_ID, "client", client=object())
    client.small_a_value = a
    client.large_a_value = client.calculate_a()
    return client


def test_group_constants_match_pycognito() -> None:
    assert aws_srp.hex_to_long(aws_srp.N_HEX) == srp.N
    assert pycognito_client(FIXED_A).val_k == srp.K


@pytest.mark.parametrize("value", [0x7F, 0x80, 0xFF, 0x1234, 0x8000, 0xABC, 2**255, srp.N - 1])
def test_pad_hex_matches_pycognito(value: int) -> None:
    assert srp.pad_hex(value) == aws_srp.pad_hex(value)


def test_public_value_matches_pycognito() -> None:
    assert srp.public_from_private(FIXED_A) == pycognito_client(FIXED_A).large_a_value


@pytest.mark.parametrize("seed", range(8))
def test_password_key_matches_pycognito(seed: int) -> None:
    rng = random.Random(seed)
    a = rng.getrandbits(1024)
    big_a = srp.public_from_private(a)
    password = f"pässwörd-{seed}"
    server = srp_server.start_for_password("AbCdEf123", "alice", password, format(big_a, "x"))
    challenge = server.challenge
    ours = srp.password_key(
        a, big_a, challenge["SRP_B"], challenge["SALT"], "AbCdEf123", "alice", password
    )
    theirs = pycognito_client(a, password).get_password_authentication_key(
        "alice", password, int(challenge["SRP_B"], 16), challenge["SALT"]
    )
    assert ours == bytes(theirs)


def test_device_key_matches_pycognito() -> None:
    a = FIXED_A
    big_a = srp.public_from_private(a)
    server = srp_server.start_for_password(
        "group-key", "us-east-1_dev-key", "devpw", format(big_a, "x")
    )
    challenge = server.challenge
    ours = srp.password_key(
        a, big_a, challenge["SRP_B"], challenge["SALT"], "group-key", "us-east-1_dev-key", "devpw"
    )
    theirs = pycognito_client(a).get_device_authentication_key(
        "group-key", "us-east-1_dev-key", "devpw", int(challenge["SRP_B"], 16), challenge["SALT"]
    )
    assert ours == bytes(theirs)


@pytest.mark.parametrize("seed", range(5))
def test_server_accepts_our_proof(seed: int) -> None:
    a, big_a = srp.generate_private()
    server = srp_server.start_for_password("AbCdEf123", "bob", f"pw{seed}", format(big_a, "x"))
    challenge = server.challenge
    proof = srp.answer_challenge(
        a=a,
        big_a=big_a,
        realm="AbCdEf123",
        user_id="bob",
        password=f"pw{seed}",
        salt_hex=challenge["SALT"],
        big_b_hex=challenge["SRP_B"],
        secret_block_b64=challenge["SECRET_BLOCK"],
    )
    assert server.check(proof.signature, proof.timestamp)
    assert proof.secret_block == challenge["SECRET_BLOCK"]


def test_server_rejects_wrong_password() -> None:
    a, big_a = srp.generate_private()
    server = srp_server.start_for_password("AbCdEf123", "bob", "right", format(big_a, "x"))
    challenge = server.challenge
    proof = srp.answer_challenge(
        a=a,
        big_a=big_a,
        realm="AbCdEf123",
        user_id="bob",
        password="wrong",
        salt_hex=challenge["SALT"],
        big_b_hex=challenge["SRP_B"],
        secret_block_b64=challenge["SECRET_BLOCK"],
    )
    assert not server.check(proof.signature, proof.timestamp)


def test_device_verifier_is_what_the_server_would_compute() -> None:
    made = srp.device_verifier("group-key", "us-east-1_device")
    salt = int.from_bytes(base64.b64decode(made.salt_b64), "big")
    verifier = int.from_bytes(base64.b64decode(made.verifier_b64), "big")
    assert verifier == srp_server.verifier_for("group-key", "us-east-1_device", made.password, salt)
    # and a device sign-in with that password passes the server's check
    a, big_a = srp.generate_private()
    server = srp_server.start("group-key", "us-east-1_device", verifier, salt, format(big_a, "x"))
    challenge = server.challenge
    proof = srp.answer_challenge(
        a=a,
        big_a=big_a,
        realm="group-key",
        user_id="us-east-1_device",
        password=made.password,
        salt_hex=challenge["SALT"],
        big_b_hex=challenge["SRP_B"],
        secret_block_b64=challenge["SECRET_BLOCK"],
    )
    assert server.check(proof.signature, proof.timestamp)


def test_timestamp_matches_pycognito_over_a_year() -> None:
    start = datetime(2026, 1, 1, tzinfo=timezone.utc)
    for hours in range(0, 24 * 366, 7):
        moment = start + timedelta(hours=hours, minutes=hours % 60, seconds=hours % 59)
        expected = aws_srp.AWSSRP.get_cognito_formatted_timestamp(moment)
        assert srp.timestamp(moment) == expected


@pytest.mark.parametrize(
    ("moment", "text"),
    [
        (datetime(2026, 11, 26, 8, 5, 9, tzinfo=timezone.utc), "Thu Nov 26 08:05:09 UTC 2026"),
        (datetime(2026, 3, 1, 23, 0, 0, tzinfo=timezone.utc), "Sun Mar 1 23:00:00 UTC 2026"),
    ],
)
def test_timestamp_examples(moment: datetime, text: str) -> None:
    assert srp.timestamp(moment) == text


def test_secret_hash_matches_pycognito_and_the_definition() -> None:
    ours = srp.secret_hash("alice", "client123", "s3cr3t")
    assert ours == aws_srp.AWSSRP.get_secret_hash("alice", "client123", "s3cr3t")
    direct = base64.b64encode(
        hmac.new(b"s3cr3t", b"aliceclient123", hashlib.sha256).digest()
    ).decode()
    assert ours == direct


def test_invalid_server_value_is_refused() -> None:
    a, big_a = srp.generate_private()
    with pytest.raises(ValueError, match="SRP_B"):
        srp.password_key(a, big_a, format(srp.N, "x"), "ab", "r", "u", "p")
