"""Real media files made by the tests: photos with structure (so perceptual hashes mean something)."""

import io
import random
import shutil
import subprocess
from pathlib import Path

from PIL import Image, ImageDraw


def photo_bytes(seed: int = 1, size: tuple[int, int] = (640, 480), quality: int = 90) -> bytes:
    generator = random.Random(seed)  # noqa: S311 - test pictures, not secrets
    image = Image.new("RGB", size, (generator.randrange(256), generator.randrange(256), generator.randrange(256)))
    draw = ImageDraw.Draw(image)
    for _ in range(40):
        x, y = generator.randrange(size[0]), generator.randrange(size[1])
        w, h = generator.randrange(20, size[0] // 2), generator.randrange(20, size[1] // 2)
        colour = (generator.randrange(256), generator.randrange(256), generator.randrange(256))
        draw.rectangle((x, y, x + w, y + h), fill=colour)
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=quality)
    return buffer.getvalue()


def resized(jpeg: bytes, factor: float, quality: int = 70) -> bytes:
    image = Image.open(io.BytesIO(jpeg))
    smaller = image.resize((int(image.width * factor), int(image.height * factor)))
    buffer = io.BytesIO()
    smaller.save(buffer, format="JPEG", quality=quality)
    return buffer.getvalue()


def with_gps(jpeg: bytes, tmp_path: Path, *, lon: float, lat: float) -> bytes:
    path = tmp_path / "gps.jpg"
    path.write_bytes(jpeg)
    subprocess.run(
        [shutil.which("exiftool"), "-overwrite_original", f"-GPSLatitude={abs(lat)}",
         f"-GPSLatitudeRef={'N' if lat >= 0 else 'S'}", f"-GPSLongitude={abs(lon)}",
         f"-GPSLongitudeRef={'E' if lon >= 0 else 'W'}", str(path)],
        check=True, capture_output=True,
    )  # fmt: skip
    return path.read_bytes()
