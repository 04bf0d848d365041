"""A minimal ICC v2 matrix/TRC display profile, written here so no profile is checked in.

Enough for LittleCMS to convert pixels: a description, the D50 white point,
the three D50-adapted primaries and the sRGB tone curve (parametric type 3).
"""

from __future__ import annotations

import struct

D50 = (0.9642, 1.0, 0.8249)
# Display P3 primaries adapted to D50 (as in Apple's "Display P3" profile).
DISPLAY_P3 = ((0.515102, 0.241196, -0.001053), (0.291965, 0.692245, 0.041887),
              (0.157153, 0.066564, 0.784073))
# sRGB primaries adapted to D50 (as in LittleCMS's built-in sRGB).
SRGB = ((0.436066, 0.222488, 0.013916), (0.385147, 0.716873, 0.097076),
        (0.143066, 0.060608, 0.714096))
# The sRGB tone curve: g, a, b, c, d of IEC 61966-2-1.
SRGB_CURVE = (2.4, 1 / 1.055, 0.055 / 1.055, 1 / 12.92, 0.04045)


def _s15(value: float) -> bytes:
    return struct.pack(">i", round(value * 65536))


def _xyz(xyz) -> bytes:
    return b"XYZ " + bytes(4) + b"".join(_s15(v) for v in xyz)


def _desc(text: str) -> bytes:
    ascii_ = text.encode() + b"\0"
    return (b"desc" + bytes(4) + struct.pack(">I", len(ascii_)) + ascii_
            + bytes(4) + bytes(4) + bytes(2) + bytes(1) + bytes(67))


def _para() -> bytes:
    return b"para" + bytes(4) + struct.pack(">H", 3) + bytes(2) + b"".join(
        _s15(v) for v in SRGB_CURVE)


def matrix_profile(primaries=DISPLAY_P3, name: str = "Display P3 (test)") -> bytes:
    """Return an RGB display profile with the given D50 primaries and the sRGB curve."""
    curve = _para()
    tags = [(b"desc", _desc(name)), (b"wtpt", _xyz(D50)), (b"cprt", b"text" + bytes(4) + b"none\0"),
            (b"rXYZ", _xyz(primaries[0])), (b"gXYZ", _xyz(primaries[1])),
            (b"bXYZ", _xyz(primaries[2])), (b"rTRC", curve), (b"gTRC", curve),
            (b"bTRC", curve)]
    offset = 128 + 4 + 12 * len(tags)
    table, data = [], b""
    for signature, body in tags:
        body += bytes(-len(body) % 4)
        table.append(signature + struct.pack(">II", offset + len(data), len(body)))
        data += body
    size = offset + len(data)
    header = (struct.pack(">I", size) + bytes(4) + bytes([2, 0x10, 0, 0]) + b"mntr" + b"RGB "
              + b"XYZ " + bytes(12) + b"acsp" + bytes(4) + bytes(4) + bytes(4) + bytes(4)
              + bytes(8) + bytes(4) + b"".join(_s15(v) for v in D50) + bytes(4) + bytes(16)
              + bytes(28))
    assert len(header) == 128
    return header + struct.pack(">I", len(tags)) + b"".join(table) + data


def p3_to_srgb(rgb: tuple[int, int, int]) -> tuple[float, float, float]:
    """What a colour-managed viewer shows for a Display-P3 pixel, in sRGB (0–255)."""
    import numpy as np

    def linear(v):
        v = v / 255
        return np.where(v <= 0.04045, v / 12.92, ((v + 0.055) / 1.055) ** 2.4)

    def encoded(v):
        v = np.clip(v, 0, 1)
        return np.where(v <= 0.0031308, v * 12.92, 1.055 * v ** (1 / 2.4) - 0.055) * 255

    p3 = np.array(DISPLAY_P3).T
    srgb = np.array(SRGB).T
    xyz = p3 @ linear(np.array(rgb, dtype=float))
    return tuple(float(v) for v in encoded(np.linalg.solve(srgb, xyz)))
