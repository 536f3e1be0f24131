import hashlib
import io

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
