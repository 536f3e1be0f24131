"""RFC 3161 trusted timestamps of a SHA-256 digest: asking Time Stamping Authorities (TSAs) and
verifying what they answer. No database: anything with a SHA-256 to anchor in time (an evidence
file, a checkpoint's Merkle root) calls ``request_timestamp`` and stores the tokens its own way.

A token is accepted only when rfc3161-client verifies it: the TSA granted the request, the nonce is
the one sent, the signature holds and its certificate chains to one of the configured trust roots
(valid at the token's time), that certificate carries the critical ``timeStamping`` extended key
usage, and the message imprint is SHA-256 and equals the digest asked about. Anything else (a TSA
that cannot be reached, answers an error, answers garbage or something that is not HTTP, does not
finish answering within its time, or signs with a certificate nobody here trusts) is a ``Refusal``
naming the TSA and the reason, and the next TSA is asked. Each verified token carries the chain it was
verified with (the TSA's certificate up to the configured root), so it can be checked again with that
alone.

The request itself is written here (a few bytes of DER): rfc3161-client builds requests only from the
data to be hashed, and Slid has the digest, not the file, when it asks."""

import dataclasses
import functools
import hashlib
import http.client
import logging
import secrets
import socket
import ssl
import threading
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import cryptography.exceptions
import cryptography.x509
import rfc3161_client
from cryptography.hazmat.primitives.serialization import Encoding

logger = logging.getLogger(__name__)

SHA256_OID = cryptography.x509.ObjectIdentifier("2.16.840.1.101.3.4.2.1")
# AlgorithmIdentifier { id-sha256, NULL }, as RFC 5754 writes it.
_SHA256_ALGORITHM_DER = bytes.fromhex("300d06096086480165030402010500")
# A TSA's answer is a few kilobytes (the token and its certificates); more than this is not one.
MAX_RESPONSE_BYTES = 1024 * 1024
REQUEST_CONTENT_TYPE = "application/timestamp-query"


class TrustRootsError(ValueError):
    """The configured trust roots cannot be read (a missing file, or one without a PEM certificate)."""


@dataclass(frozen=True)
class Token:
    """A verified (or, inside a Refusal, a refused) RFC 3161 timestamp token."""

    tsa_url: str
    der: bytes  # the TimeStampToken (CMS ContentInfo) as the TSA signed it: `openssl ts -verify -token_in` reads it
    sha256: str  # the digest stamped, hex
    serial: int
    gen_time: datetime  # aware, UTC
    policy: str
    certificates: tuple[bytes, ...]  # the DER certificates the token carries (the TSA's, and any chain it sent)
    tsa_certificate: bytes | None  # of those, the one its SignerInfo names: the TSA's own
    # The DER certificates it was verified with, the TSA's first and the configured root last; empty
    # until it verified.
    chain: tuple[bytes, ...] = ()

    @property
    def token_sha256(self) -> str:
        return hashlib.sha256(self.der).hexdigest()

    @property
    def chain_pem(self) -> str:
        return "".join(certificate_pem(der) for der in self.chain)

    def signer_certificate(self) -> cryptography.x509.Certificate | None:
        return cryptography.x509.load_der_x509_certificate(self.tsa_certificate) if self.tsa_certificate else None


@dataclass(frozen=True)
class Refusal:
    tsa_url: str
    reason: str
    token: Token | None = None  # a token that arrived and parsed, but failed verification


@dataclass(frozen=True)
class StampResult:
    tokens: list[Token] = field(default_factory=list)
    refusals: list[Refusal] = field(default_factory=list)

    def summary(self) -> str:
        return "; ".join(f"{refusal.tsa_url}: {refusal.reason}" for refusal in self.refusals)


def request_timestamp(
    sha256_hex: str,
    *,
    tsa_urls: Sequence[str],
    roots: Sequence[cryptography.x509.Certificate],
    timeout: float = 10.0,
    wanted: int = 1,
) -> StampResult:
    """Asks the TSAs in order for a token over the SHA-256 digest ``sha256_hex`` until ``wanted`` of
    them gave a verified one (each TSA at most once). ``timeout`` is each TSA's whole time, from connecting
    to the last byte of its answer. Never raises for what a TSA does: each failure is a Refusal in the
    result, and is logged."""
    digest = bytes.fromhex(sha256_hex)
    if len(digest) != 32:
        raise ValueError(f"A SHA-256 digest is 32 bytes, not {len(digest)}.")
    if not roots:
        raise TrustRootsError("No trust root is configured: no token could be verified.")
    result = StampResult()
    for url in tsa_urls:
        if len(result.tokens) >= wanted:
            break
        try:
            result.tokens.append(_ask(url, digest, roots=roots, timeout=timeout))
        except _Refused as refused:
            logger.warning("The time-stamping authority %s gave no usable token: %s", url, refused.reason)
            result.refusals.append(Refusal(tsa_url=url, reason=refused.reason, token=refused.token))
        except Exception as error:  # whatever else one TSA's answer sets off must not stop the next TSA
            logger.exception("Asking the time-stamping authority %s failed", url)
            reason = f"failed unexpectedly: {type(error).__name__}: {error}"
            result.refusals.append(Refusal(tsa_url=url, reason=reason))
    return result


def verify_token(
    der: bytes, sha256_hex: str, *, roots: Sequence[cryptography.x509.Certificate], tsa_url: str = ""
) -> Token:
    """Verifies a stored token (its DER) over ``sha256_hex`` again; raises ValueError naming why it does not hold."""
    try:
        response = rfc3161_client.decode_timestamp_response(_response_wrapping(der))
    except Exception as error:
        raise ValueError(f"not an RFC 3161 token: {error}") from error
    token = _token(tsa_url, der, response, sha256_hex)
    _verify(response, bytes.fromhex(sha256_hex), roots=roots, nonce=None)
    return dataclasses.replace(token, chain=_chain(token, roots))


def read_token(der: bytes, *, tsa_url: str = "") -> Token:
    """A stored token read, not verified: its imprint, serial, time and the certificates it carries.
    Raises ValueError if it is not an RFC 3161 token."""
    try:
        response = rfc3161_client.decode_timestamp_response(_response_wrapping(der))
        return _token(tsa_url, der, response, "")
    except Exception as error:  # the parser's own error types are not public
        raise ValueError(f"not an RFC 3161 token: {error}") from error


@functools.cache
def load_roots(paths: tuple[str, ...]) -> tuple[cryptography.x509.Certificate, ...]:
    """Every certificate in the PEM files ``paths``: the trust anchors tokens must chain to (roots, and
    any intermediate a TSA does not send itself)."""
    certificates: list[cryptography.x509.Certificate] = []
    for path in paths:
        try:
            found = cryptography.x509.load_pem_x509_certificates(Path(path).read_bytes())
        except (OSError, ValueError) as error:
            raise TrustRootsError(f"SLID_TSA_ROOTS: {path} holds no PEM certificate we can read: {error}") from error
        certificates.extend(found)
    return tuple(certificates)


def certificate_pem(der: bytes) -> str:
    return cryptography.x509.load_der_x509_certificate(der).public_bytes(Encoding.PEM).decode()


class _Refused(Exception):
    def __init__(self, reason: str, token: Token | None = None) -> None:
        super().__init__(reason)
        self.reason, self.token = reason, token


def _ask(url: str, digest: bytes, *, roots, timeout: float) -> Token:
    nonce = secrets.randbits(63) | 1  # positive and never zero
    request = urllib.request.Request(  # noqa: S310 - the operator's configured TSA URLs (http or https)
        url,
        data=timestamp_request_der(digest, nonce=nonce),
        headers={"Content-Type": REQUEST_CONTENT_TYPE, "Accept": "application/timestamp-reply"},
        method="POST",
    )
    if request.type not in ("http", "https"):
        raise _Refused(f"not an http(s) URL: {url}")
    deadline = _Deadline(timeout)
    opener = _opener(deadline)
    try:
        with deadline, opener.open(request, timeout=timeout) as answer:
            body = answer.read(MAX_RESPONSE_BYTES + 1)
    except urllib.error.HTTPError as error:
        raise _Refused(f"answered HTTP {error.code} {error.reason}") from error
    except Exception as error:
        if deadline.expired:
            raise _Refused(f"gave no complete answer within {timeout:g} s") from error
        reason = getattr(error, "reason", error)
        said = str(reason).strip()[:200]  # a status line that is not one is the server's text: kept short
        if isinstance(reason, http.client.HTTPException) and not isinstance(reason, ConnectionError):
            raise _Refused(f"answered something that is not HTTP: {type(reason).__name__}: {said}") from error
        raise _Refused(f"could not be reached: {type(error).__name__}: {said}") from error
    if deadline.expired:  # the socket was shut as the last bytes came: what came may be cut short
        raise _Refused(f"gave no complete answer within {timeout:g} s")
    if len(body) > MAX_RESPONSE_BYTES:
        raise _Refused(f"answered more than {MAX_RESPONSE_BYTES} bytes: not a timestamp response")
    try:
        response = rfc3161_client.decode_timestamp_response(body)
    except Exception as error:  # the parser's own error types are not public
        raise _Refused(f"answered something that is not a timestamp response ({len(body)} bytes): {error}") from error
    if rfc3161_client.PKIStatus(response.status) != rfc3161_client.PKIStatus.GRANTED:
        said = "; ".join(response.status_string) or "no reason given"
        raise _Refused(f"refused the request (PKIStatus {response.status}: {said})")
    try:
        token = _token(url, response.time_stamp_token(), response, digest.hex())
    except Exception as error:
        raise _Refused(f"answered a token that cannot be read: {error}") from error
    try:
        _verify(response, digest, roots=roots, nonce=nonce)
    except (rfc3161_client.VerificationError, ValueError) as error:
        raise _Refused(f"answered a token that does not verify: {error}", token=token) from error
    return dataclasses.replace(token, chain=_chain(token, roots))


class _Deadline:
    """One TSA's whole time. A socket timeout bounds each read only, so a TSA that sends its answer a byte
    at a time would hold the worker for as long as it likes: when the time is up, every socket opened for
    the TSA (redirects included) is shut, which ends the read waiting on it."""

    def __init__(self, seconds: float) -> None:
        self.expired = False
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True

    def __enter__(self) -> "_Deadline":
        self._timer.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._timer.cancel()

    def watch(self, sock: socket.socket) -> None:
        with self._lock:
            self._sockets.append(sock)
            if not self.expired:
                return
        _shut(sock)

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            sockets = list(self._sockets)
        for sock in sockets:
            _shut(sock)


def _shut(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass  # closed already


class _Watched:
    """An http.client connection whose sockets its deadline can shut (its raw socket, before any TLS)."""

    def __init__(self, *args, deadline: _Deadline, **kwargs) -> None:
        super().__init__(*args, **kwargs)

        def create_connection(*args, **kwargs) -> socket.socket:
            sock = socket.create_connection(*args, **kwargs)
            deadline.watch(sock)
            return sock

        # http.client opens its socket through this attribute (both HTTP and HTTPS, proxies included).
        self._create_connection = create_connection


class _WatchedHTTPConnection(_Watched, http.client.HTTPConnection):
    pass


class _WatchedHTTPSConnection(_Watched, http.client.HTTPSConnection):
    pass


class _DeadlineHTTPHandler(urllib.request.HTTPHandler):
    def __init__(self, deadline: _Deadline) -> None:
        super().__init__()
        self._deadline = deadline

    def http_open(self, req):
        return self.do_open(functools.partial(_WatchedHTTPConnection, deadline=self._deadline), req)


class _DeadlineHTTPSHandler(urllib.request.HTTPSHandler):
    def __init__(self, deadline: _Deadline) -> None:
        super().__init__(context=_tls_context())
        self._deadline = deadline

    def https_open(self, req):
        connection = functools.partial(_WatchedHTTPSConnection, deadline=self._deadline)
        return self.do_open(connection, req, context=_tls_context())


@functools.cache
def _tls_context() -> ssl.SSLContext:
    return ssl.create_default_context()


def _opener(deadline: _Deadline) -> urllib.request.OpenerDirector:
    """urllib's usual opener (proxies from the environment, redirects, HTTP errors raised) for http and https
    only, every connection under the deadline: no scheme a redirect could lead to escapes it."""
    opener = urllib.request.OpenerDirector()
    for handler in (
        urllib.request.ProxyHandler(),
        _DeadlineHTTPHandler(deadline),
        _DeadlineHTTPSHandler(deadline),
        urllib.request.HTTPDefaultErrorHandler(),
        urllib.request.HTTPRedirectHandler(),
        urllib.request.HTTPErrorProcessor(),
    ):
        opener.add_handler(handler)
    return opener


def _chain(token: Token, roots) -> tuple[bytes, ...]:
    """The certificates from the TSA's up to a configured root, each issued (and signed) by the next: what
    the token was verified with, for anyone who checks it again with these alone. rfc3161-client verified
    the chain but does not say which it built, so it is found again here by issuer and signature."""
    if token.tsa_certificate is None:
        return ()
    candidates = [cryptography.x509.load_der_x509_certificate(der) for der in token.certificates] + list(roots)
    chain = [cryptography.x509.load_der_x509_certificate(token.tsa_certificate)]
    # Up to a self-issued root (past a configured intermediate, whose own issuer may be configured too).
    while chain[-1].issuer != chain[-1].subject:
        issuer = next((found for found in candidates if found not in chain and _issued(chain[-1], by=found)), None)
        if issuer is None:
            break
        chain.append(issuer)
    if not any(certificate in roots for certificate in chain):
        return ()
    return tuple(certificate.public_bytes(Encoding.DER) for certificate in chain)


def _issued(certificate: cryptography.x509.Certificate, *, by: cryptography.x509.Certificate) -> bool:
    if certificate.issuer != by.subject:
        return False
    try:
        certificate.verify_directly_issued_by(by)
    except (ValueError, TypeError, cryptography.exceptions.InvalidSignature):
        return False
    return True


def _verify(response, digest: bytes, *, roots, nonce: int | None) -> None:
    if response.tst_info.message_imprint.hash_algorithm != SHA256_OID:
        raise ValueError(f"the message imprint is not SHA-256 ({response.tst_info.message_imprint.hash_algorithm})")
    builder = rfc3161_client.VerifierBuilder(roots=list(roots), nonce=nonce)
    # verify() checks the status, the chain (at the token's time), the nonce, the critical timeStamping
    # extended key usage of the signer's certificate and the imprint.
    builder.build().verify(response, digest)


def _token(url: str, der: bytes, response, sha256_hex: str) -> Token:
    info = response.tst_info
    if not 0 <= info.serial_number < 2**160:  # RFC 3161 §2.4.2: at most 160 bits
        raise ValueError(f"its serial number {info.serial_number} is not one RFC 3161 allows")
    gen_time = info.gen_time
    gen_time = gen_time.replace(tzinfo=UTC) if gen_time.tzinfo is None else gen_time.astimezone(UTC)
    return Token(
        tsa_url=url,
        der=der,
        sha256=info.message_imprint.message.hex() if info.message_imprint.message else sha256_hex,
        serial=info.serial_number,
        gen_time=gen_time,
        policy=info.policy.dotted_string,
        certificates=tuple(sorted(response.signed_data.certificates)),
        tsa_certificate=_signer(response),
    )


def _signer(response) -> bytes | None:
    signers = list(response.signed_data.signer_infos)
    if len(signers) != 1:
        return None
    for der in response.signed_data.certificates:
        certificate = cryptography.x509.load_der_x509_certificate(der)
        if (certificate.issuer, certificate.serial_number) == (signers[0].issuer, signers[0].serial_number):
            return der
    return None


# --- DER, the little of it a request and a stored token need ----------------------------------------


def _der_length(length: int) -> bytes:
    if length < 0x80:
        return bytes([length])
    encoded = length.to_bytes((length.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(encoded)]) + encoded


def _der(tag: int, content: bytes) -> bytes:
    return bytes([tag]) + _der_length(len(content)) + content


def _der_integer(value: int) -> bytes:
    return _der(0x02, value.to_bytes(value.bit_length() // 8 + 1, "big", signed=True))


def timestamp_request_der(digest: bytes, *, nonce: int) -> bytes:
    """TimeStampReq (RFC 3161 §2.4.1): version 1, the SHA-256 message imprint, the nonce, certReq TRUE
    (the TSA sends its certificate, so a token can be verified without asking anyone later)."""
    message_imprint = _der(0x30, _SHA256_ALGORITHM_DER + _der(0x04, digest))
    return _der(0x30, _der_integer(1) + message_imprint + _der_integer(nonce) + _der(0x01, b"\xff"))


def _response_wrapping(token_der: bytes) -> bytes:
    """A TimeStampResp { status granted, the token }: rfc3161-client reads tokens only inside one."""
    return _der(0x30, _der(0x30, _der_integer(0)) + token_der)
