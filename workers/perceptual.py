"""Perceptual hashes of images: a resized or re-encoded copy of a photo has a hash a few bits away."""

import warnings

import imagehash
import scipy.fftpack  # noqa: F401 - imagehash imports it on first use: here, once, before the pool forks
from PIL import Image, UnidentifiedImageError

# A hostile file may claim enormous dimensions; refuse to decode more than this many pixels.
Image.MAX_IMAGE_PIXELS = 200_000_000


def image_phash(path: str) -> str | None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as image:
                # The hash is taken from a 32×32 grey copy: a JPEG decoded at reduced scale (at least
                # 4× that) gives the same hash to within a bit or two, in a fraction of the time.
                image.draft("L", (128, 128))
                return str(imagehash.phash(image))
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError, Image.DecompressionBombWarning):
        return None
