import hashlib
import io

import pytest

from evidence.hashing import digest_stream


def test_parallel_digests_equal_hashlib_in_one_pass():
    data = bytes(range(256)) * 50_000  # several chunks

    digests = digest_stream(io.BytesIO(data), ["sha256", "md5", "sha512"], chunk_bytes=100_000)

    assert digests.size == len(data)
    assert digests.hexdigests == {
        "sha256": hashlib.sha256(data).hexdigest(),
        "md5": hashlib.md5(data).hexdigest(),  # noqa: S324 - compared, not trusted
        "sha512": hashlib.sha512(data).hexdigest(),
    }


def test_an_empty_stream_has_the_empty_digests():
    assert digest_stream(io.BytesIO(b""), ["sha256"]).hexdigests["sha256"] == hashlib.sha256(b"").hexdigest()


@pytest.mark.parametrize(
    ("size", "expected_sha256"),
    [
        # sha256 of b"x" * size, from coreutils: python3 -c 'print("x" * N, end="")' | sha256sum
        # (chunks of 10 bytes: one chunk, exactly one, one and a byte, several)
        (1, "2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881"),
        (10, "fc11d6f28e59d3cc33c0b14ceb644bf0902ebd63d61218dffe9e7dac7c254542"),
        (11, "7668d2cd32a37eb45b51f002690d1b9a7c03f2da91791f96227ba9a61952fce8"),
        (25, "c28e601ce25724907a7af09c08052e5dcf5b7a249dc719e4b90d86f51007c33c"),
    ],
)
def test_a_stream_of_one_chunk_or_several_has_the_same_digest_as_sha256sum(size, expected_sha256):
    digests = digest_stream(io.BytesIO(b"x" * size), ["sha256", "md5"], chunk_bytes=10)

    assert digests.size == size
    assert digests.hexdigests["sha256"] == expected_sha256
