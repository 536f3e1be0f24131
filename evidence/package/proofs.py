"""What a package carries beside the evidence to show it existed and where it came from: each item's
RFC 3161 timestamp tokens with the certificates that signed them (data/timestamps/), the provenance
read from each file at intake (data/provenance.json), and the latest checkpoint of custody with its tokens
and each item's inclusion proof in it (data/checkpoints/).

verify.py checks all of it with the standard library (and openssl, where there is one); VERIFY.txt
explains it to the reader."""

import hashlib
import json
import logging
import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit, urlunsplit

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.serialization import Encoding
from django.conf import settings

from evidence import merkle
from evidence.custody import canonical_time
from evidence.models import Checkpoint, CustodyEntry, CustodyEvent, EvidenceItem, TimestampToken
from evidence.selectors.checkpoints import ProofUnavailable, inclusion_proof, latest_proof_checkpoint
from evidence.selectors.timestamps import TimestampState, evidence_timestamp_state
from evidence.timestamping import Token, TrustRootsError, load_roots, read_token

TIMESTAMPS_FOLDER = "timestamps"
TIMESTAMP_INDEX = "timestamps/index.json"
CERTIFICATES_FOLDER = "timestamps/certificates"
PROVENANCE_DOCUMENT = "provenance.json"
TIMESTAMP_INDEX_FORMAT = "slid-timestamps/1"
PROVENANCE_FORMAT = "slid-provenance/1"
CHECKPOINT_DOCUMENT = "checkpoints/checkpoint.json"
CHECKPOINT_TOKENS_FOLDER = "checkpoints/tokens"
CHECKPOINT_CERTIFICATES_FOLDER = "checkpoints/certificates"
CHECKPOINT_PROOFS_FOLDER = "checkpoints/proofs"
CHECKPOINT_FORMAT = "slid-checkpoint/1"
INCLUSION_PROOF_FORMAT = "slid-inclusion-proof/1"
# A chain longer than this is not a TSA's (root, an intermediate or two, the TSA).
MAX_CHAIN_LENGTH = 8
_NOT_IN_A_NAME = re.compile(r"[^A-Za-z0-9.-]+")

logger = logging.getLogger(__name__)


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
    certificates = _Certificates(CERTIFICATES_FOLDER)
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
            files, root = certificates.of(der)
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
                    "root": root,
                }
            )
    documents.update(certificates.documents())
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
        "certificates": certificates.described(),
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


# --- Checkpoints -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CheckpointToken:
    """An RFC 3161 token over a checkpoint's root, as the package needs it."""

    tsa_url: str
    der: bytes
    serial: str
    time: datetime


def checkpoint_tokens(checkpoint: Checkpoint) -> list[CheckpointToken]:
    """The checkpoint's verified tokens, oldest first."""
    stored = checkpoint.timestamps.filter(verified=True).order_by("gen_time", "id")
    return [CheckpointToken(token.tsa_url, bytes(token.token), token.serial, token.gen_time) for token in stored]


def packaged_checkpoint() -> Checkpoint | None:
    """The checkpoint a package proves its chains against: the latest one. Chosen before the chains are
    read, so that every chain the package carries holds the head the checkpoint recorded."""
    return latest_proof_checkpoint()


def checkpoint_documents(
    packaged: list[PackagedItem], checkpoint: Checkpoint | None, *, heartbeat: Callable[[], None] = lambda: None
) -> dict[str, bytes]:
    """data/checkpoints/: the checkpoint (checkpoint.json: its id, time, root and size, its tokens, and
    which item is covered, or why not), each token as stored (tokens/<n>-<authority>.tst) with the
    certificates that signed it (certificates/), and each covered item's inclusion proof
    (proofs/<ERN>.json). ``heartbeat`` is called for each item."""
    documents: dict[str, bytes] = {}
    proofs, not_covered = [], []
    for entry in packaged:
        heartbeat()
        proof, why = _inclusion_proof_of(entry, checkpoint)
        if proof is None:
            not_covered.append({"ern": entry.item.ern, "file": entry.path, "why": why})
            continue
        path = f"{CHECKPOINT_PROOFS_FOLDER}/{entry.folder}.json"
        documents[path] = json.dumps(proof, ensure_ascii=False, indent=1).encode("utf-8")
        proofs.append({"ern": entry.item.ern, "proof": f"data/{path}"})
    tokens = checkpoint_tokens(checkpoint) if checkpoint is not None else []
    certificates = _Certificates(CHECKPOINT_CERTIFICATES_FOLDER)
    listed = []
    for number, token in enumerate(tokens, start=1):
        path = f"{CHECKPOINT_TOKENS_FOLDER}/{number}-{_host(token.tsa_url)}.tst"
        documents[path] = token.der
        files, root = certificates.of(token.der)
        listed.append(
            {
                "token": f"data/{path}",
                "token_sha256": hashlib.sha256(token.der).hexdigest(),
                "tsa": _shown_url(token.tsa_url),
                "serial": token.serial,
                "time": canonical_time(token.time),
                "certificates": files,
                "root": root,
            }
        )
    documents.update(certificates.documents())
    document = {
        "format": CHECKPOINT_FORMAT,
        "about": (
            "The latest checkpoint of custody when Slid built this package: a Merkle tree (RFC 6962) over the "
            "head of every chain of custody in Slid and of its audit log, whose root outside time-stamping "
            "authorities signed. Leaf = SHA-256(0x00 || label || head): label = the item's id (the custody "
            "entries' \"evidence\", a UUID, as its 16 bytes), head = the entry_hash of the chain's entry "
            "head_sequence (32 bytes); node = SHA-256(0x01 || left || right). Each proof in proofs/ leads from "
            "an item's leaf to the root (RFC 9162 section 2.1.3.2). See data/VERIFY.txt."
        ),
        "checkpoint": _described(checkpoint) if checkpoint is not None else None,
        "tokens": listed,
        "not_timestamped": _why_not_timestamped(checkpoint) if checkpoint is not None and not tokens else None,
        "certificates": certificates.described(),
        "proofs": proofs,
        "not_covered": not_covered,
    }
    documents[CHECKPOINT_DOCUMENT] = json.dumps(document, ensure_ascii=False, indent=1).encode("utf-8")
    return documents


def _described(checkpoint: Checkpoint) -> dict:
    return {
        "id": checkpoint.pk,
        "time": canonical_time(checkpoint.created_at),
        "root": checkpoint.root,
        "tree_size": checkpoint.tree_size,
    }


def _inclusion_proof_of(entry: PackagedItem, checkpoint: Checkpoint | None) -> tuple[dict | None, str]:
    """(the item's proof as the package gives it, "") or (None, why there is none)."""
    if checkpoint is None:
        return None, "No checkpoint had been built when Slid built this package."
    try:
        proof = inclusion_proof(item=entry.item, checkpoint=checkpoint)
    except ProofUnavailable as unavailable:
        return None, str(unavailable)
    head = next((custody for custody in entry.chain if custody.sequence == proof.head_sequence), None)
    if head is None:  # not expected: the checkpoint was chosen before the chain was read
        return None, (
            f"The checkpoint recorded entry {proof.head_sequence} of its chain of custody, which this package "
            f"does not carry (it read {len(entry.chain)} entries): a later package carries the proof."
        )
    if merkle.leaf_hash(entry.item.public_id.bytes, bytes.fromhex(head.entry_hash)).hex() != proof.leaf_hash:
        # The chain no longer holds the head the checkpoint recorded. The proof goes in as the checkpoint has
        # it, so that verify.py shows the reader what verify_custody shows Slid.
        logger.error(
            "%s: custody entry %s is not the head checkpoint %s recorded", entry.item.ern, head.sequence, checkpoint.pk
        )
    return {
        "format": INCLUSION_PROOF_FORMAT,
        "ern": entry.item.ern,
        "file": entry.path,
        "custody": f"data/custody/{entry.folder}.jsonl",
        "checkpoint": checkpoint.pk,
        "root": checkpoint.root,
        "tree_size": proof.tree_size,
        "leaf_index": proof.leaf_index,
        "label": entry.item.public_id.bytes.hex(),
        "head_sequence": head.sequence,
        "head_hash": head.entry_hash,
        "leaf_hash": proof.leaf_hash,
        "audit_path": proof.audit_path,
    }, ""


def _why_not_timestamped(checkpoint: Checkpoint) -> str:
    if not settings.SLID_TSA_URLS:
        return (
            "No time-stamping authority is configured in this Slid (SLID_TSA_URLS): the root is anchored only "
            "where it was published."
        )
    return (
        f"No time-stamping authority had given a token for the root of checkpoint {checkpoint.pk} when this "
        "package was built (the authorities may have been unreachable): the root is anchored only where it was "
        "published."
    )


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


class _Certificates:
    """The certificates that signed a set of tokens, each once, under ``folder`` of the package."""

    def __init__(self, folder: str) -> None:
        self.folder = folder
        self.anchors = _configured_anchors()
        self.known: dict[str, dict] = {}  # by SHA-256 fingerprint
        self.chains: dict[tuple[bytes, ...], list[x509.Certificate]] = {}  # by the certificates a token carries

    def of(self, der: bytes) -> tuple[list[str], str | None]:
        """(the paths of the token's certificates, signer first; the root's path, or None if none is known)."""
        chain = _chain(der, self.anchors, self.chains)
        files = [_certificate_file(certificate, self.known, self.anchors, self.folder) for certificate in chain]
        anchored = bool(chain) and (chain[-1] in self.anchors or _self_signed(chain[-1]))
        return files, files[-1] if anchored else None

    def documents(self) -> dict[str, bytes]:
        return {described["file"].removeprefix("data/"): described["pem"] for described in self.known.values()}

    def described(self) -> list[dict]:
        """What the index says of each certificate (all but its bytes), by path."""
        listed = [{key: value for key, value in d.items() if key != "pem"} for d in self.known.values()]
        return sorted(listed, key=lambda described: described["file"])


def _certificate_file(certificate: x509.Certificate, known: dict[str, dict], anchors, folder: str) -> str:
    """The certificate's path in the bag (data/<folder>/<name>-<fingerprint>.pem), noted once."""
    fingerprint = certificate.fingerprint(hashes.SHA256()).hex()
    if fingerprint not in known:
        names = certificate.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)
        label = _NOT_IN_A_NAME.sub("-", str(names[0].value) if names else "certificate").strip("-.")[:60]
        known[fingerprint] = {
            "file": f"data/{folder}/{label or 'certificate'}-{fingerprint[:16]}.pem",
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
