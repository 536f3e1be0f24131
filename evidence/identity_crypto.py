"""Encryption of witness and victim identities: AES-256-GCM (authenticated), with keys that come
from the environment, never from the database, each known by an id so keys can be rotated.

    SLID_IDENTITY_KEYS="2026a:<base64 of 32 bytes>,2025b:<…>"    every key still needed to read
    SLID_IDENTITY_KEY_ID="2026a"                                 the key new identities use

Each ciphertext is bound to its record (associated data), so it cannot be moved to another."""

import base64
import json
import os

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

NONCE_BYTES = 12


def _keys() -> dict[str, bytes]:
    keys = {}
    for entry in settings.SLID_IDENTITY_KEYS:
        key_id, _, encoded = entry.partition(":")
        key = base64.b64decode(encoded)
        if len(key) != 32:
            raise ImproperlyConfigured(f"Identity key {key_id!r} must be 32 bytes (base64), not {len(key)}.")
        keys[key_id] = key
    return keys


def current_key_id() -> str:
    key_id = settings.SLID_IDENTITY_KEY_ID
    if key_id not in _keys():
        raise ImproperlyConfigured(f"SLID_IDENTITY_KEY_ID {key_id!r} is not among SLID_IDENTITY_KEYS.")
    return key_id


def encrypt(identity: dict, *, bound_to: str) -> tuple[str, bytes]:
    """(key id, nonce + ciphertext) of the identity, bound to ``bound_to`` (the record's id)."""
    return encrypt_bytes(json.dumps(identity, sort_keys=True, default=str).encode("utf-8"), bound_to=bound_to)


def decrypt(key_id: str, sealed: bytes, *, bound_to: str) -> dict:
    return json.loads(decrypt_bytes(key_id, sealed, bound_to=bound_to))


def encrypt_bytes(plaintext: bytes, *, bound_to: str) -> tuple[str, bytes]:
    """(key id, nonce + ciphertext) of any document holding identities (a package's identities.json)."""
    key_id = current_key_id()
    nonce = os.urandom(NONCE_BYTES)
    return key_id, nonce + AESGCM(_keys()[key_id]).encrypt(nonce, plaintext, bound_to.encode())


def decrypt_bytes(key_id: str, sealed: bytes, *, bound_to: str) -> bytes:
    key = _keys().get(key_id)
    if key is None:
        raise ImproperlyConfigured(f"Identity key {key_id!r} is needed to read this identity but is not configured.")
    nonce, ciphertext = bytes(sealed[:NONCE_BYTES]), bytes(sealed[NONCE_BYTES:])
    return AESGCM(key).decrypt(nonce, ciphertext, bound_to.encode())


def new_key() -> str:
    return base64.b64encode(AESGCM.generate_key(bit_length=256)).decode()
