#!/usr/bin/env python3
"""Writes assets/icon.png, the 128x128 package icon: an append-only log (bars of events, the newest
highlighted) on a rounded square. Standard library only; run from the repository root to regenerate."""
import struct
import zlib

SIZE = 128
BACKGROUND = (31, 58, 95)
EVENT = (214, 228, 240)
NEWEST = (245, 166, 35)
RADIUS = 22


def inside_rounded_square(x, y):
    cx = min(max(x, RADIUS), SIZE - 1 - RADIUS)
    cy = min(max(y, RADIUS), SIZE - 1 - RADIUS)
    return (x - cx) ** 2 + (y - cy) ** 2 <= RADIUS ** 2


# (top, height, right end): one bar per event, each appended after the one above it.
BARS = [(26, 14, 70), (46, 14, 84), (66, 14, 98), (86, 14, 108)]
LEFT = 22


def pixel(x, y):
    if not inside_rounded_square(x, y):
        return (0, 0, 0, 0)
    for i, (top, height, right) in enumerate(BARS):
        if top <= y < top + height and LEFT <= x < right:
            return (*(NEWEST if i == len(BARS) - 1 else EVENT), 255)
    return (*BACKGROUND, 255)


def png(width, height, rows):
    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)

    raw = b"".join(b"\x00" + bytes(c for p in row for c in p) for row in rows)
    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")


if __name__ == "__main__":
    rows = [[pixel(x, y) for x in range(SIZE)] for y in range(SIZE)]
    with open("assets/icon.png", "wb") as f:
        f.write(png(SIZE, SIZE, rows))
