"""Draw the integration's 120x50 logo (AWS_ILM_image.png): "AWS ILM" in a 5x7 pixel font on a transparent
background, AWS's dark ink for the letters and its orange for the arrow under them. Plain zlib PNG, no imaging
library, so that the image is reproducible from this script.

    python tools/make_image.py AWS_ILM_image.png
"""
import struct
import sys
import zlib

WIDTH, HEIGHT, SCALE = 120, 50, 3
INK, ORANGE = (35, 47, 62, 255), (255, 153, 0, 255)
GLYPHS = {   # 5 columns x 7 rows
    "A": ["01110", "10001", "10001", "11111", "10001", "10001", "10001"],
    "W": ["10001", "10001", "10001", "10101", "10101", "11011", "10001"],
    "S": ["01111", "10000", "10000", "01110", "00001", "00001", "11110"],
    "I": ["11111", "00100", "00100", "00100", "00100", "00100", "11111"],
    "L": ["10000", "10000", "10000", "10000", "10000", "10000", "11111"],
    "M": ["10001", "11011", "10101", "10101", "10001", "10001", "10001"],
}


def canvas() -> list[list[tuple[int, int, int, int]]]:
    pixels = [[(0, 0, 0, 0)] * WIDTH for _ in range(HEIGHT)]
    x = 3
    for char in "AWS ILM":
        if char == " ":
            x += 3 * SCALE
            continue
        for row, bits in enumerate(GLYPHS[char]):
            for column, bit in enumerate(bits):
                if bit == "1":
                    for dy in range(SCALE):
                        for dx in range(SCALE):
                            pixels[6 + row * SCALE + dy][x + column * SCALE + dx] = INK
        x += 6 * SCALE
    for x in range(6, 58):   # the arrow under AWS: a shallow smile ending in a point
        y = 33 + round(((x - 32) / 26) ** 2 * -4 + 4)
        for dy in range(3):
            pixels[y + dy][x] = ORANGE
    for step in range(5):
        pixels[30 + step][57 - step] = pixels[30 + step][58] = ORANGE
    return pixels


def png(pixels: list) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    raw = b"".join(b"\x00" + bytes(value for pixel in row for value in pixel) for row in pixels)
    header = struct.pack(">IIBBBBB", WIDTH, HEIGHT, 8, 6, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")


if __name__ == "__main__":
    with open(sys.argv[1] if len(sys.argv) > 1 else "AWS_ILM_image.png", "wb") as out:
        out.write(png(canvas()))
