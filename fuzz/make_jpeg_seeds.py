#!/usr/bin/python3
"""Writes the seed corpus of FuzzJPEG into fuzz/corpus/JPEG/ with Debian's python3-pil (run it with /usr/bin/python3):
small JPEGs of several sizes, gray/RGB/CMYK, baseline and progressive, 4:4:4/4:2:2/4:2:0, EXIF,
a truncated file and one whose frame header claims 65500×65500 pixels."""
import io, os, struct
from PIL import Image

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus", "JPEG")
os.makedirs(OUT, exist_ok=True)

def image(mode, w, h):
    im = Image.new(mode, (w, h))
    bands = len(im.getbands())
    im.putdata([tuple((x * 37 + y * 11 + b * 71) % 256 for b in range(bands)) if bands > 1 else (x * 37 + y * 11) % 256
                for y in range(h) for x in range(w)])
    return im

def jpeg(im, **kw):
    buf = io.BytesIO()
    im.save(buf, "JPEG", **kw)
    return buf.getvalue()

def put(name, data):
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(data)

put("gray-1x1.jpg", jpeg(image("L", 1, 1)))
put("gray-8x8.jpg", jpeg(image("L", 8, 8), quality=90))
put("rgb-17x9-420.jpg", jpeg(image("RGB", 17, 9), subsampling=2))
put("rgb-16x16-422.jpg", jpeg(image("RGB", 16, 16), subsampling=1))
put("rgb-13x21-444.jpg", jpeg(image("RGB", 13, 21), subsampling=0, quality=95))
put("rgb-32x24-progressive.jpg", jpeg(image("RGB", 32, 24), progressive=True))
put("gray-24x16-progressive.jpg", jpeg(image("L", 24, 16), progressive=True, optimize=True))
put("cmyk-8x8.jpg", jpeg(image("CMYK", 8, 8)))
exif = Image.Exif()
exif[0x0112] = 6  # orientation: rotate 90
put("rgb-12x8-exif.jpg", jpeg(image("RGB", 12, 8), exif=exif.tobytes()))
full = jpeg(image("RGB", 40, 40), quality=75)
put("rgb-40x40-truncated.jpg", full[: len(full) // 2])
# Frame header (SOF0) patched to claim 65500×65500: must be refused before any pixel buffer is allocated.
big = bytearray(jpeg(image("RGB", 8, 8)))
sof = big.index(b"\xff\xc0")
big[sof + 5:sof + 9] = struct.pack(">HH", 65500, 65500)
put("rgb-claims-65500x65500.jpg", bytes(big))
