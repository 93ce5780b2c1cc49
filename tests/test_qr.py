"""The QR encoder that draws the authenticator setup: checked module by module against an
independent encoder (segno, a test dependency), and read back by a real QR reader
(zbarimg, from Debian's zbar-tools) from a picture of it."""

from __future__ import annotations

import shutil
import struct
import subprocess
import zlib
from pathlib import Path

import pytest
import segno
import segno.encoder

from cognito_credproc.account import qr
from cognito_credproc.account.mfa import otpauth_uri

from .conftest import DEBIAN_HINT

# A realistic URI: pool id, an email-like user name, a 52-character base32 secret.
URI = otpauth_uri("eu-west-1_AbCdEf123", "alice@example.com", "A" * 26 + "234567" * 4 + "QR")


def segno_matrix(text: str, version: int, mask: int | None = None) -> qr.Matrix:
    code = segno.make(
        text, error="m", mode="byte", version=version, mask=mask, boost_error=False, micro=False
    )
    return [[bool(module) for module in row] for row in code.matrix]


def filling(version: int) -> str:
    """Text that fills ``version`` at level M exactly: no pad codewords, where segno adds a
    zero codeword the standard does not (after a terminator that ends on a codeword
    boundary), so the two encoders can be compared on every module."""
    count_bits = 8 if version < 10 else 16
    length = (qr._data_codewords(version) * 8 - 4 - count_bits) // 8
    return ("otpauth://totp/x?secret=" * 100)[:length]


@pytest.mark.parametrize("version", [1, 2, 3, 6, 7, 9, 10, 14, 22, 27, 32, 40])
def test_every_mask_matches_segno_module_for_module(version: int) -> None:
    text = filling(version)
    found, _ = qr._codewords(text.encode())
    assert found == version
    for mask in range(8) if version < 10 else (0, 5):
        assert qr.encode(text, mask) == segno_matrix(text, version, mask), (version, mask)


@pytest.mark.parametrize("version", [1, 2, 5, 8, 11])
def test_the_mask_chosen_has_the_lowest_penalty_as_segno_scores_it(version: int) -> None:
    text = filling(version)
    scores = {}
    for mask in range(8):
        theirs = [bytearray(row) for row in segno_matrix(text, version, mask)]
        scores[mask] = sum(segno.encoder.mask_scores(theirs, len(theirs), len(theirs)))  # type: ignore[no-untyped-call]
        assert qr.penalty(qr.encode(text, mask)) == scores[mask], mask
    best = min(scores, key=lambda m: scores[m])
    assert qr.encode(text) == qr.encode(text, best)


def test_short_text_is_padded_as_the_standard_says() -> None:
    # byte mode, count 1, "a", terminator, then the pad codewords 0xEC 0x11 in turn
    version, words = qr._codewords(b"a")
    assert version == 1
    assert words[:6] == [0x40, 0x16, 0x10, 0xEC, 0x11, 0xEC]
    assert len(words) == 26  # version 1: 16 data and 10 error correction codewords


def test_text_too_long_for_any_version() -> None:
    assert len(qr.encode("x" * 2331)) == 177  # the most version 40-M holds in bytes
    with pytest.raises(qr.TooLong):
        qr.encode("x" * 2332)


def unrender(lines: list[str]) -> qr.Matrix:
    """The modules back from the half-block drawing (light is drawn, dark is blank)."""
    halves = {" ": (False, False), "\u2580": (True, False), "\u2584": (False, True)}
    halves["\u2588"] = (True, True)
    rows: list[list[bool]] = [[], []]
    grid: list[list[bool]] = []
    for line in lines:
        rows = [[], []]
        for ch in line:
            top, bottom = halves[ch]
            rows[0].append(not top)
            rows[1].append(not bottom)
        grid += rows
    zone = qr.QUIET_ZONE
    size = len(lines[0]) - 2 * zone
    assert not any(any(row) for row in grid[:zone]), "the quiet zone must be light"
    return [row[zone : zone + size] for row in grid[zone : zone + size]]


def test_the_drawing_is_the_code_with_a_light_quiet_zone() -> None:
    matrix = qr.encode(URI)
    lines = qr.render(matrix)
    assert len({len(line) for line in lines}) == 1
    assert len(lines[0]) == len(matrix) + 2 * qr.QUIET_ZONE
    assert unrender(lines) == matrix


def png(matrix: qr.Matrix, scale: int = 4) -> bytes:
    """A black-on-white greyscale PNG of the code, with its quiet zone."""
    zone = qr.QUIET_ZONE
    size = len(matrix) + 2 * zone

    def dark(x: int, y: int) -> bool:
        x, y = x - zone, y - zone
        return 0 <= x < len(matrix) and 0 <= y < len(matrix) and matrix[y][x]

    raw = b""
    for y in range(size * scale):
        row = bytes(0 if dark(x // scale, y // scale) else 255 for x in range(size * scale))
        raw += b"\0" + row

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", size * scale, size * scale, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + (chunk(b"IEND", b""))
    )


@pytest.mark.parametrize("text", [URI, "a", "otpauth://totp/x?secret=AB", "é" * 40])
def test_a_qr_reader_reads_the_text_back(tmp_path: Path, text: str) -> None:
    zbarimg = shutil.which("zbarimg")
    if zbarimg is None:
        pytest.skip("zbarimg (a QR reader) is not installed; " + DEBIAN_HINT.format("zbar-tools"))
    picture = tmp_path / "code.png"
    picture.write_bytes(png(qr.encode(text)))
    done = subprocess.run(
        [zbarimg, "--quiet", "--raw", "-Sbinary", str(picture)],
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.rstrip(b"\n") == text.encode()
