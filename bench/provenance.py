"""What reading Content Credentials (C2PA) at intake costs the worker per file (opt-in: make bench-provenance;
results in docs/performance.md): an ordinary photo of about 100 KiB (the look for the C2PA marker alone), the
same photo signed (the reader in its own process, validating), and the look for the marker in a large file."""

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
import django  # noqa: E402

django.setup()

from tests.content_credentials import make_chain, signed  # noqa: E402
from tests.media import photo_bytes  # noqa: E402
from workers import provenance  # noqa: E402


def median_ms(run, repeat: int) -> float:
    run()
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        photo = photo_bytes(seed=5, size=(1920, 1440), quality=95)
        plain, signed_path, large = Path(folder, "plain.jpg"), Path(folder, "signed.jpg"), Path(folder, "large.bin")
        plain.write_bytes(photo)
        signed_path.write_bytes(signed(photo, "image/jpeg", make_chain("Bench")))
        with large.open("wb") as stream:
            for _ in range(512):
                stream.write(os.urandom(1024 * 1024).replace(b"c2pa", b"c2pb"))

        def read(path: Path) -> dict:
            return provenance.read_provenance(str(path), "image/jpeg", timeout=120)

        assert read(plain)["state"] == "none"
        assert read(signed_path)["state"] == "untrusted"
        print(f"ordinary photo, {len(photo) / 1024:.0f} KiB: {median_ms(lambda: read(plain), 200):.3f} ms")
        size = signed_path.stat().st_size / 1024
        cost = median_ms(lambda: read(signed_path), 20)
        print(f"signed photo, {size:.0f} KiB (reader process, validation): {cost:.1f} ms")
        scan = median_ms(lambda: provenance.has_marker(str(large)), 5)
        print(f"marker look in a 512 MiB file (in the page cache): {scan:.0f} ms, {512 / scan * 1000:.0f} MiB/s")


if __name__ == "__main__":
    main()
