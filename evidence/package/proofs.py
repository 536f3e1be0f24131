"""What a package carries beside the evidence to show it existed and where it came from: each item's
RFC 3161 timestamp tokens with the certificates that signed them (data/timestamps/), and the provenance
read from each file at intake (data/provenance.json). The checkpoints of custody (data/checkpoints/: the
latest checkpoint, its tokens, each item's inclusion proof) are to join them here.

verify.py checks all of it with the standard library (and openssl, where there is one); VERIFY.txt
explains it to the reader."""

import hashlib
import json
import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.serialization import Encoding
from django.conf import settings

from evidence.custody import canonical_time
from evidence.models import CustodyEntry, CustodyEvent, EvidenceItem, TimestampToken
from evidence.selectors.timestamps import TimestampState, evidence_timestamp_state
from evidence.timestamping import Token, TrustRootsError, load_roots, read_token

TIMESTAMPS_FOLDER = "timestamps"
TIMESTAMP_INDEX = "timestamps/index.json"
CERTIFICATES_FOLDER = "timestamps/certificates"
PROVENANCE_DOCUMENT = "provenance.json"
TIMESTAMP_INDEX_FORMAT = "slid-timestamps/1"
PROVENANCE_FORMAT = "slid-provenance/1"
# A chain longer than this is not a TSA's (root, an intermediate or two, the TSA).
MAX_CHAIN_LENGTH = 8
_NOT_IN_A_NAME = re.compile(r"[^A-Za-z0-9.-]+")


@dataclass
class PackagedItem:
    """An item as the package holds it: its folder name (the ERN made safe), its file's path in the
    bag, and its chain of custody as read for the package."""

    item: EvidenceItem
    folder: str
    path: str  # data/evidence/<ERN>/<file>
    chain: list[CustodyEntry]


def packaged_tokens(packaged: list[PackagedItem]) -> dict[int, list[TimestampToken]]:
    """{item id: its verified tokens, oldest first}: those its chain of custody, as read for the package,
    records (by the SHA-256 of the token's bytes). A token recorded after the chain was read waits for
    the next package, so that every token in a package is one its chain vouches for, and the other way round.
    Tokens that did not verify on arrival stay out: they prove nothing, and Slid keeps them with the reason."""
    recorded = {
        entry.item.pk: {
            custody.details.get("token_sha256")
            for custody in entry.chain
            if custody.event_type == CustodyEvent.TIMESTAMPED and isinstance(custody.details, dict)
        }
        for entry in packaged
    }
    sha256_of = {entry.item.pk: entry.item.sha256 for entry in packaged}
    tokens: dict[int, list[TimestampToken]] = defaultdict(list)
    stored = TimestampToken.objects.filter(evidence__in=list(recorded), verified=True).order_by("gen_time", "id")
    for token in stored:
        vouched = hashlib.sha256(bytes(token.token)).hexdigest() in recorded[token.evidence_id]
        if vouched and token.sha256 == sha256_of[token.evidence_id]:
            tokens[token.evidence_id].append(token)
    return tokens


def timestamps_cell(tokens: list[TimestampToken]) -> str:
    """The register's cell: each token's time and authority."""
    return "; ".join(f"{canonical_time(token.gen_time)} by {_host(token.tsa_url)}" for token in tokens)


def timestamp_documents(
    packaged: list[PackagedItem],
    tokens: dict[int, list[TimestampToken]],
    *,
    heartbeat: Callable[[], None] = lambda: None,
) -> dict[str, bytes]:
    """data/timestamps/: each token as stored (DER) under <ERN>/<n>-<authority>.tst, every certificate
    that signed one (the TSA's, any intermediate, the root Slid trusted it by) once under certificates/,
    and index.json, which ties each token to its file, its authority, serial, time and certificates, and
    says why an item without a token has none. ``heartbeat`` is called for each item."""
    anchors = _configured_anchors()
    certificates: dict[str, dict] = {}  # by SHA-256 fingerprint
    chains: dict[tuple[bytes, ...], list[x509.Certificate]] = {}  # by the certificates a token carries
    documents: dict[str, bytes] = {}
    listed, not_timestamped = [], []
    for entry in packaged:
        heartbeat()
        item_tokens = tokens.get(entry.item.pk, [])
        if not item_tokens:
            state, why = evidence_timestamp_state(item=entry.item)
            if state == TimestampState.TIMESTAMPED:  # since the package read its chain of custody
                why = "Timestamped after this package read its chain of custody: a later package carries the token."
            not_timestamped.append({"ern": entry.item.ern, "file": entry.path, "state": state.value, "why": why})
        for number, token in enumerate(item_tokens, start=1):
            der = bytes(token.token)
            path = f"{TIMESTAMPS_FOLDER}/{entry.folder}/{number}-{_host(token.tsa_url)}.tst"
            documents[path] = der
            chain = _chain(der, anchors, chains)
            files = [_certificate_file(certificate, certificates, anchors) for certificate in chain]
            anchored = bool(chain) and (chain[-1] in anchors or _self_signed(chain[-1]))
            listed.append(
                {
                    "ern": entry.item.ern,
                    "file": entry.path,
                    "sha256": token.sha256,
                    "token": f"data/{path}",
                    "token_sha256": hashlib.sha256(der).hexdigest(),
                    "tsa": _shown_url(token.tsa_url),
                    "serial": token.serial,
                    "time": canonical_time(token.gen_time),
                    "policy": token.policy,
                    "certificates": files,
                    "root": files[-1] if anchored else None,
                }
            )
    for described in certificates.values():
        documents[described["file"].removeprefix("data/")] = described.pop("pem")
    index = {
        "format": TIMESTAMP_INDEX_FORMAT,
        "about": (
            "RFC 3161 timestamp tokens of the evidence files: each is an outside Time Stamping Authority's "
            "signed statement that a file with this SHA-256 existed at the time it gives. Only tokens that "
            "verified when they arrived are here. 'certificates' lists the token's signer first and its root "
            "last. See data/VERIFY.txt."
        ),
        "tokens": listed,
        "not_timestamped": not_timestamped,
        "certificates": sorted(certificates.values(), key=lambda described: described["file"]),
    }
    documents[TIMESTAMP_INDEX] = json.dumps(index, ensure_ascii=False, indent=1).encode("utf-8")
    return documents


def provenance_document(packaged: list[PackagedItem]) -> bytes:
    """data/provenance.json: each item's Content Credentials (C2PA) as Slid read them at intake, the same
    record as its chain of custody's "provenance_read" entry."""
    document = {
        "format": PROVENANCE_FORMAT,
        "about": (
            "What each file's Content Credentials (C2PA) said when Slid received it, and whether they "
            "validated: state 'valid' (signed by a signer Slid trusts), 'untrusted' (intact, but the signer "
            "is not one Slid trusts), 'invalid' (the file or the credentials changed after signing), 'none' "
            "(the file carries none), 'error' (they could not be read). null: Slid did not look (the file is "
            "not an image, video or audio, or was received before Slid read them). See data/VERIFY.txt."
        ),
        "items": [
            {"ern": entry.item.ern, "file": entry.path, "provenance": entry.item.provenance} for entry in packaged
        ],
    }
    return json.dumps(document, ensure_ascii=False, indent=1).encode("utf-8")


def _host(url: str) -> str:
    """The authority's host, as a file name part ("freetsa.org")."""
    return _NOT_IN_A_NAME.sub("_", urlsplit(url).hostname or "tsa").strip("_.") or "tsa"


def _shown_url(url: str) -> str:
    """The authority's URL without any user name or password in it (a paid TSA may take them there)."""
    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return url
    host = parts.hostname or ""
    host = f"[{host}]" if ":" in host else host
    return urlunsplit(parts._replace(netloc=host + (f":{parts.port}" if parts.port else "")))


def _configured_anchors() -> tuple[x509.Certificate, ...]:
    """The trust roots (SLID_TSA_ROOTS) tokens were verified by; none if they cannot be read now."""
    try:
        return load_roots(tuple(settings.SLID_TSA_ROOTS)) if settings.SLID_TSA_ROOTS else ()
    except TrustRootsError:
        return ()


def _chain(der: bytes, anchors: tuple[x509.Certificate, ...], known: dict) -> list[x509.Certificate]:
    """The token's signer, then each issuer up to a root: from the certificates the token carries and the
    configured trust roots (which hold the roots, and any intermediate a TSA does not send). Tokens of one
    authority carry the same certificates: their chain is found once (``known``)."""
    token = read_token(der)
    if token.tsa_certificate is None:
        return []
    key = (token.tsa_certificate, *token.certificates)
    if key not in known:
        known[key] = _chain_of(token, anchors)
    return known[key]


def _chain_of(token: Token, anchors: tuple[x509.Certificate, ...]) -> list[x509.Certificate]:
    pool = [x509.load_der_x509_certificate(carried) for carried in token.certificates] + list(anchors)
    chain = [x509.load_der_x509_certificate(token.tsa_certificate)]
    while len(chain) < MAX_CHAIN_LENGTH and not _self_signed(chain[-1]):
        issuer = next((c for c in pool if c not in chain and _issued_by(chain[-1], c)), None)
        if issuer is None:
            break
        chain.append(issuer)
    return chain


def _issued_by(certificate: x509.Certificate, issuer: x509.Certificate) -> bool:
    try:
        certificate.verify_directly_issued_by(issuer)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True


def _self_signed(certificate: x509.Certificate) -> bool:
    return certificate.issuer == certificate.subject and _issued_by(certificate, certificate)


def _certificate_file(certificate: x509.Certificate, known: dict[str, dict], anchors) -> str:
    """The certificate's path in the bag (data/timestamps/certificates/<name>-<fingerprint>.pem), noted once."""
    fingerprint = certificate.fingerprint(hashes.SHA256()).hex()
    if fingerprint not in known:
        names = certificate.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)
        label = _NOT_IN_A_NAME.sub("-", str(names[0].value) if names else "certificate").strip("-.")[:60]
        known[fingerprint] = {
            "file": f"data/{CERTIFICATES_FOLDER}/{label or 'certificate'}-{fingerprint[:16]}.pem",
            "subject": certificate.subject.rfc4514_string(),
            "issuer": certificate.issuer.rfc4514_string(),
            "serial": str(certificate.serial_number),
            "sha256": fingerprint,
            "not_before": canonical_time(certificate.not_valid_before_utc),
            "not_after": canonical_time(certificate.not_valid_after_utc),
            "self_signed": _self_signed(certificate),
            "trusted_by_slid": certificate in anchors,
            "pem": certificate.public_bytes(Encoding.PEM),
        }
    return known[fingerprint]["file"]
