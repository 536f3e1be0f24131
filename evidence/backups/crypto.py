"""Backups encrypted at rest: AES-256-GCM over chunks, so a dump of any size is encrypted and
decrypted in one streaming pass with a few MiB of memory.

One GCM message is limited to 64 GiB and releases plaintext before its tag is checked; so the dump
is cut into chunks of ``CHUNK_BYTES``, each its own GCM message (the STREAM construction of Hoang,
Reyhanitabar, Rogaway and Vizár, as in Tink and age). The nonce of chunk *i* is a random 7-byte
prefix, *i* (4 bytes, big-endian) and a byte that is 1 on the last chunk only; every chunk
authenticates the file's header as associated data. A chunk changed, moved, dropped or added, a
file cut short or a header changed all fail authentication, and no chunk is released before its own
tag holds.

The file:

    b"SLIDBAK1" | key id (8 bytes) | nonce prefix (7 bytes) | chunk size (4 bytes, big-endian)
    | chunk 0 ciphertext + tag | chunk 1 … | last chunk (possibly empty) ciphertext + tag

The key id is the first 8 bytes of SHA-256("slid-backup-key-id" + key): it lets a restore say which
key a backup needs, and reveals nothing of a random 256-bit key.

The manifest, which stays readable, is authenticated with an HMAC-SHA256 under a key derived from the
backup key (``manifest_mac``): whoever can write the backups store but does not hold the key can
neither forge a manifest nor change one, so a plain dump passed off as the backup, or a manifest
changed to match a changed dump, is refused before anything is restored.
"""

import base64
import binascii
import hashlib
import hmac
import json
import os
import struct
from collections.abc import Iterator
from typing import BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

MAGIC = b"SLIDBAK1"
SCHEME = "aes-256-gcm-stream/1"
CHUNK_BYTES = 4 * 1024 * 1024
TAG_BYTES = 16
NONCE_PREFIX_BYTES = 7
HEADER = struct.Struct(f">8s8s{NONCE_PREFIX_BYTES}sI")
KEY_BYTES = 32
MANIFEST_MAC_SCHEME = "hmac-sha256/1"


class BackupKeyError(ValueError):
    """The key is missing, malformed, or not the one the backup was encrypted with."""


class DecryptionError(ValueError):
    """The encrypted dump does not authenticate: changed, cut short, or not made with this key."""


def parse_key(text: str, *, variable: str = "SLID_BACKUP_KEY") -> bytes:
    """A key as written in the environment: 32 random bytes in base64 (``openssl rand -base64 32``)."""
    try:
        key = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        try:
            key = base64.urlsafe_b64decode(text.strip())
        except (binascii.Error, ValueError):
            raise BackupKeyError(
                f"{variable} is not base64: give 32 random bytes, e.g. `openssl rand -base64 32`."
            ) from None
    if len(key) != KEY_BYTES:
        raise BackupKeyError(
            f"{variable} holds {len(key)} bytes; it must be {KEY_BYTES} random bytes in base64 "
            "(`openssl rand -base64 32`)."
        )
    return key


def key_id(key: bytes) -> str:
    return hashlib.sha256(b"slid-backup-key-id" + key).hexdigest()[:16]


def check_key(wanted: str, key: bytes) -> None:
    """Raises BackupKeyError, naming both key ids, unless ``key`` is the key of id ``wanted``."""
    if not hmac.compare_digest(wanted, key_id(key)):
        raise BackupKeyError(
            f"This backup was encrypted with key {wanted}, and the key given is {key_id(key)}: "
            "set SLID_BACKUP_KEY to the key the backup was made with."
        )


def _manifest_key(key: bytes) -> bytes:
    # Its own key, derived from the backup key: a MAC is never made with the key that encrypts.
    return hmac.new(key, b"slid-backup-manifest-mac/1", hashlib.sha256).digest()


def manifest_bytes(manifest: dict) -> bytes:
    """The manifest as the MAC covers it: JSON with sorted keys and no spaces, without its ``authentication``."""
    fields = {name: value for name, value in manifest.items() if name != "authentication"}
    return json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def manifest_mac(manifest: dict, key: bytes) -> str:
    return hmac.new(_manifest_key(key), manifest_bytes(manifest), hashlib.sha256).hexdigest()


def manifest_authentic(manifest: dict, key: bytes, mac: str) -> bool:
    return hmac.compare_digest(manifest_mac(manifest, key), mac)


def _nonce(prefix: bytes, index: int, last: bool) -> bytes:
    return prefix + struct.pack(">IB", index, 1 if last else 0)


def encrypt_chunks(chunks: Iterator[bytes], key: bytes, *, chunk_bytes: int = CHUNK_BYTES) -> Iterator[bytes]:
    """The encrypted file, piece by piece, from the plaintext in pieces of any size."""
    prefix = os.urandom(NONCE_PREFIX_BYTES)
    header = HEADER.pack(MAGIC, bytes.fromhex(key_id(key)), prefix, chunk_bytes)
    cipher = AESGCM(key)
    yield header
    buffer, index = bytearray(), 0
    for piece in chunks:
        buffer += piece
        while len(buffer) > chunk_bytes:  # keep at least one byte back: the last chunk must be flagged
            yield cipher.encrypt(_nonce(prefix, index, False), bytes(buffer[:chunk_bytes]), header)
            del buffer[:chunk_bytes]
            index += 1
            if index >= 2**32 - 1:
                raise ValueError("Too many chunks for one backup file.")
    yield cipher.encrypt(_nonce(prefix, index, True), bytes(buffer), header)


def read_header(source: BinaryIO) -> tuple[bytes, str, bytes, int]:
    """(the header's bytes, the key id, the nonce prefix, the chunk size) of an encrypted dump."""
    header = source.read(HEADER.size)
    if len(header) != HEADER.size:
        raise DecryptionError("The encrypted dump is shorter than its header.")
    magic, key_id_bytes, prefix, chunk_bytes = HEADER.unpack(header)
    if magic != MAGIC:
        raise DecryptionError(f"Not a Slid encrypted backup (it starts with {magic!r}, not {MAGIC!r}).")
    if not 0 < chunk_bytes <= 256 * 1024 * 1024:
        raise DecryptionError(f"The header gives an impossible chunk size ({chunk_bytes}).")
    return header, key_id_bytes.hex(), prefix, chunk_bytes


def decrypt_chunks(source: BinaryIO, key: bytes) -> Iterator[bytes]:
    """The plaintext, chunk by chunk, each released only once its tag holds. A wrong key is refused
    by its id before anything is decrypted."""
    header, wanted, prefix, chunk_bytes = read_header(source)
    check_key(wanted, key)
    cipher = AESGCM(key)
    block_bytes = chunk_bytes + TAG_BYTES
    index, block = 0, source.read(block_bytes)
    while True:
        following = source.read(block_bytes) if len(block) == block_bytes else b""
        last = not following
        if len(block) < TAG_BYTES:
            raise DecryptionError(f"The encrypted dump is cut short (chunk {index} is incomplete).")
        try:
            yield cipher.decrypt(_nonce(prefix, index, last), block, header)
        except InvalidTag:
            raise DecryptionError(
                f"Chunk {index} of the encrypted dump does not authenticate: the file was changed or cut short."
            ) from None
        if last:
            return
        block, index = following, index + 1
