"""A QR code of a short text (an ``otpauth://`` URI), drawn on the terminal with block
characters, so an authenticator app can scan it.

Byte mode, error correction level M, versions 1 to 40, the mask with the lowest penalty
(ISO/IEC 18004). The standard does not change, so these lines do not age; the tests
compare every module with an independent encoder (segno, a test-only dependency), and
no library joins the runtime of a credential helper for a one-time setup step.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable

Matrix = list[list[bool]]

# Level M, by version (index 0 unused): error correction codewords per block, and blocks.
ECC_PER_BLOCK = (
    0, 10, 16, 26, 18, 24, 16, 18, 22, 22, 26, 30, 22, 22, 24, 24, 28, 28, 26, 26, 26,
    26, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28,
)  # fmt: skip
BLOCKS = (
    0, 1, 1, 1, 2, 2, 4, 4, 4, 5, 5, 5, 8, 9, 9, 10, 10, 11, 13, 14, 16,
    17, 17, 18, 20, 21, 23, 25, 26, 28, 29, 31, 33, 35, 37, 38, 40, 43, 45, 47, 49,
)  # fmt: skip
LEVEL_M_BITS = 0b00
QUIET_ZONE = 4  # light modules around the code, as the standard asks

MASKS: tuple[Callable[[int, int], bool], ...] = (
    lambda x, y: (x + y) % 2 == 0,
    lambda x, y: y % 2 == 0,
    lambda x, y: x % 3 == 0,
    lambda x, y: (x + y) % 3 == 0,
    lambda x, y: (x // 3 + y // 2) % 2 == 0,
    lambda x, y: x * y % 2 + x * y % 3 == 0,
    lambda x, y: (x * y % 2 + x * y % 3) % 2 == 0,
    lambda x, y: ((x + y) % 2 + x * y % 3) % 2 == 0,
)


class TooLong(ValueError):
    """The text does not fit the largest QR code."""


def _raw_modules(version: int) -> int:
    """Modules left for data and error correction once the function patterns are drawn."""
    result = (16 * version + 128) * version + 64
    if version >= 2:
        aligns = version // 7 + 2
        result -= (25 * aligns - 10) * aligns - 55
        if version >= 7:
            result -= 36
    return result


def _data_codewords(version: int) -> int:
    return _raw_modules(version) // 8 - ECC_PER_BLOCK[version] * BLOCKS[version]


def _alignment_positions(version: int) -> list[int]:
    if version == 1:
        return []
    aligns = version // 7 + 2
    size = version * 4 + 17
    step = (version * 8 + aligns * 3 + 5) // (aligns * 4 - 4) * 2
    return [6, *reversed([size - 7 - i * step for i in range(aligns - 1)])]


def _gf_multiply(x: int, y: int) -> int:
    """Multiplication in GF(2^8) modulo x^8 + x^4 + x^3 + x^2 + 1."""
    z = 0
    for i in reversed(range(8)):
        z = (z << 1) ^ ((z >> 7) * 0x11D)
        z ^= ((y >> i) & 1) * x
    return z


def _rs_divisor(degree: int) -> list[int]:
    result = [0] * (degree - 1) + [1]
    root = 1
    for _ in range(degree):
        for j in range(degree):
            result[j] = _gf_multiply(result[j], root)
            if j + 1 < degree:
                result[j] ^= result[j + 1]
        root = _gf_multiply(root, 0x02)
    return result


def _rs_remainder(data: list[int], divisor: list[int]) -> list[int]:
    result = [0] * len(divisor)
    for byte in data:
        factor = byte ^ result.pop(0)
        result.append(0)
        for i, coefficient in enumerate(divisor):
            result[i] ^= _gf_multiply(coefficient, factor)
    return result


def _codewords(data: bytes) -> tuple[int, list[int]]:
    """The smallest version that holds ``data``, and its codewords: data and error
    correction, split into blocks and interleaved."""
    for version in range(1, 41):
        count_bits = 8 if version < 10 else 16
        capacity = _data_codewords(version) * 8
        if 4 + count_bits + len(data) * 8 <= capacity:
            break
    else:
        raise TooLong(f"{len(data)} bytes do not fit a QR code")
    bits: list[int] = []

    def put(value: int, length: int) -> None:
        bits.extend((value >> i) & 1 for i in reversed(range(length)))

    put(0b0100, 4)  # byte mode
    put(len(data), count_bits)
    for byte in data:
        put(byte, 8)
    put(0, min(4, capacity - len(bits)))  # terminator
    put(0, -len(bits) % 8)
    words = [int("".join(map(str, bits[i : i + 8])), 2) for i in range(0, len(bits), 8)]
    pad = 0xEC
    while len(words) < capacity // 8:
        words.append(pad)
        pad ^= 0xEC ^ 0x11
    blocks_count, ecc_len = BLOCKS[version], ECC_PER_BLOCK[version]
    raw = _raw_modules(version) // 8
    short_blocks = blocks_count - raw % blocks_count
    short_len = raw // blocks_count
    divisor = _rs_divisor(ecc_len)
    blocks: list[list[int]] = []
    start = 0
    for i in range(blocks_count):
        length = short_len - ecc_len + (0 if i < short_blocks else 1)
        chunk = words[start : start + length]
        start += length
        ecc = _rs_remainder(chunk, divisor)
        if i < short_blocks:
            chunk.append(0)  # a gap, so that every block has the same length
        blocks.append(chunk + ecc)
    result = []
    for i in range(len(blocks[0])):
        for j, block in enumerate(blocks):
            if i != short_len - ecc_len or j >= short_blocks:
                result.append(block[i])
    return version, result


class _Symbol:
    def __init__(self, version: int) -> None:
        self.version = version
        self.size = version * 4 + 17
        self.dark: Matrix = [[False] * self.size for _ in range(self.size)]
        self.function: Matrix = [[False] * self.size for _ in range(self.size)]
        self._draw_function_patterns()

    def set(self, x: int, y: int, dark: bool) -> None:
        self.dark[y][x] = dark
        self.function[y][x] = True

    def _draw_function_patterns(self) -> None:
        size = self.size
        for i in range(size):
            self.set(6, i, i % 2 == 0)
            self.set(i, 6, i % 2 == 0)
        for cx, cy in ((3, 3), (size - 4, 3), (3, size - 4)):
            for dy in range(-4, 5):
                for dx in range(-4, 5):
                    x, y = cx + dx, cy + dy
                    if 0 <= x < size and 0 <= y < size:
                        self.set(x, y, max(abs(dx), abs(dy)) not in (2, 4))
        positions = _alignment_positions(self.version)
        last = len(positions) - 1
        for i, cx in enumerate(positions):
            for j, cy in enumerate(positions):
                if (i, j) in ((0, 0), (0, last), (last, 0)):
                    continue  # the finder patterns are there
                for dy in range(-2, 3):
                    for dx in range(-2, 3):
                        self.set(cx + dx, cy + dy, max(abs(dx), abs(dy)) != 1)
        self.draw_format(0)  # reserves the format areas; drawn again with the mask
        if self.version >= 7:
            remainder = self.version
            for _ in range(12):
                remainder = (remainder << 1) ^ ((remainder >> 11) * 0x1F25)
            bits = self.version << 12 | remainder
            for i in range(18):
                bit = (bits >> i) & 1 == 1
                a, b = size - 11 + i % 3, i // 3
                self.set(a, b, bit)
                self.set(b, a, bit)

    def draw_format(self, mask: int) -> None:
        data = LEVEL_M_BITS << 3 | mask
        remainder = data
        for _ in range(10):
            remainder = (remainder << 1) ^ ((remainder >> 9) * 0x537)
        bits = (data << 10 | remainder) ^ 0x5412
        size = self.size

        def bit(i: int) -> bool:
            return (bits >> i) & 1 == 1

        for i in range(6):
            self.set(8, i, bit(i))
        self.set(8, 7, bit(6))
        self.set(8, 8, bit(7))
        self.set(7, 8, bit(8))
        for i in range(9, 15):
            self.set(14 - i, 8, bit(i))
        for i in range(8):
            self.set(size - 1 - i, 8, bit(i))
        for i in range(8, 15):
            self.set(8, size - 15 + i, bit(i))
        self.set(8, size - 8, True)  # the dark module

    def draw_codewords(self, words: list[int]) -> None:
        size = self.size
        i = 0
        right = size - 1
        while right >= 1:
            if right == 6:
                right = 5  # the vertical timing pattern's column
            upward = (right + 1) & 2 == 0
            for vertical in range(size):
                y = size - 1 - vertical if upward else vertical
                for x in (right, right - 1):
                    if not self.function[y][x] and i < len(words) * 8:
                        self.dark[y][x] = (words[i >> 3] >> (7 - (i & 7))) & 1 == 1
                        i += 1
            right -= 2

    def apply_mask(self, mask: int) -> None:
        test = MASKS[mask]
        for y in range(self.size):
            for x in range(self.size):
                if not self.function[y][x] and test(x, y):
                    self.dark[y][x] = not self.dark[y][x]


FINDER_CORE = (True, False, True, True, True, False, True)  # dark 1:1:3:1:1


def _finder_like(line: list[bool]) -> int:
    """Finder-like patterns in a row or column: 1:1:3:1:1 with four light modules before
    or after it, the quiet zone beyond the edge counting as light. After a match the
    search goes on past it; after a near miss, from its middle."""
    count = 0
    start = 0
    size = len(line)
    while start <= size - 7:
        if tuple(line[start : start + 7]) != FINDER_CORE:
            start += 1
            continue
        if not any(line[max(start - 4, 0) : start]) or not any(line[start + 7 : start + 11]):
            count += 1
            start += 7
        else:
            start += 4
    return count


def penalty(dark: Matrix) -> int:
    """The standard's four penalty rules (ISO/IEC 18004, 7.8.3): runs of five or more,
    2x2 blocks, finder-like patterns, and the balance of dark and light."""
    size = len(dark)
    columns = [[dark[y][x] for y in range(size)] for x in range(size)]
    score = 0
    for line in [*dark, *columns]:
        run = 1
        for a, b in itertools.pairwise(line):
            if a == b:
                run += 1
                continue
            if run >= 5:
                score += run - 2
            run = 1
        if run >= 5:
            score += run - 2
        score += 40 * _finder_like(line)
    for y in range(size - 1):
        for x in range(size - 1):
            if dark[y][x] == dark[y][x + 1] == dark[y + 1][x] == dark[y + 1][x + 1]:
                score += 3
    total = size * size
    dark_count = sum(map(sum, dark))
    # 10 points for every full 5% the share of dark modules is away from half
    score += 10 * (abs(dark_count * 20 - total * 10) // total)
    return score


def encode(text: str, mask: int | None = None) -> Matrix:
    """The modules of the QR code of ``text`` (UTF-8), True for dark, without the quiet
    zone; ``mask`` forces a mask pattern (tests), else the lowest penalty wins."""
    version, words = _codewords(text.encode("utf-8"))
    best: tuple[int, Matrix] | None = None
    for candidate in range(8) if mask is None else (mask,):
        symbol = _Symbol(version)
        symbol.draw_codewords(words)
        symbol.apply_mask(candidate)
        symbol.draw_format(candidate)
        score = penalty(symbol.dark)
        if best is None or score < best[0]:
            best = (score, symbol.dark)
    assert best is not None
    return best[1]


def render(matrix: Matrix) -> list[str]:
    """Lines of text, two rows of modules per line in half blocks. Light modules are
    drawn (the terminal's text colour), dark ones left blank: on a terminal with a dark
    background that is a code dark on light, as printed; authenticator apps read either."""
    size = len(matrix)
    padded = QUIET_ZONE + size + QUIET_ZONE

    def light(x: int, y: int) -> bool:
        x, y = x - QUIET_ZONE, y - QUIET_ZONE
        return not (0 <= x < size and 0 <= y < size and matrix[y][x])

    glyphs = {(True, True): "\u2588", (True, False): "\u2580", (False, True): "\u2584"}
    lines = []
    for y in range(0, padded, 2):
        row = "".join(
            glyphs.get((light(x, y), y + 1 < padded and light(x, y + 1)), " ")
            for x in range(padded)
        )
        lines.append(row)
    return lines
