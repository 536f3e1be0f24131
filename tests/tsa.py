"""Time Stamping Authorities for the tests, on 127.0.0.1: real RFC 3161 answers made by `openssl ts -reply`,
signed with a TSA certificate (critical extended key usage timeStamping) issued by a test CA made here
with `cryptography`. One server can be switched (``LocalTSA.mode``) to answer garbage, a bad HTTP status
line, or byte by byte; to sign with a certificate of another CA (one nobody configured as a root), or with
one of the trusted CA that may not stamp time (no extended key usage, or a non-critical one); to stamp
another digest than the one asked, or with another nonce; or to be down (its port closed)."""

import datetime
import hashlib
import http.server
import shutil
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

OPENSSL = shutil.which("openssl") or "openssl"
# What a TSA that has lost its mind sends back.
GARBAGE = b"<html><body>503 Service Temporarily Unavailable</body></html>\n"
# What a server that is not an HTTP server at all sends back (http.client: BadStatusLine).
BAD_STATUS_LINE = b"SSH-2.0-OpenSSH_9.2\r\n\r\n"
# The modes in which LocalTSA signs with a certificate of the trusted CA that may not stamp time.
BAD_USAGE_MODES = ("no_eku", "eku_not_critical")
SLOW_BYTE_SECONDS = 0.2  # mode "slow": one byte of the answer this often
SLOW_FOR_SECONDS = 20.0  # ...for at most this long


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Slid tests"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _write_key(path: Path, key) -> None:
    path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )


def _der_wrapped(tag: int, content: bytes) -> bytes:
    length = len(content)
    encoded = bytes([length]) if length < 0x80 else bytes([0x80 | ((length.bit_length() + 7) // 8)])
    if length >= 0x80:
        encoded += length.to_bytes((length.bit_length() + 7) // 8, "big")
    return bytes([tag]) + encoded + content


def _tsa_certificate(ca, ca_key, name: str, key, *, eku: str) -> x509.Certificate:
    """A TSA certificate issued by ``ca``; ``eku``: "critical" (as RFC 3161 requires), "not_critical", "none"."""
    now = datetime.datetime.now(datetime.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(name))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(True, True, False, False, False, False, False, False, False), critical=True)
    )
    if eku != "none":
        usage = x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING])
        builder = builder.add_extension(usage, critical=eku == "critical")
    return builder.sign(ca_key, hashes.SHA256())


@dataclass(frozen=True)
class Signer:
    """A TSA's key and certificate on disk, with the CA that issued it: what `openssl ts -reply` signs with."""

    folder: Path
    ca_pem: Path
    cert_pem: Path
    key_pem: Path

    @classmethod
    def make(cls, folder: Path, ca_name: str) -> "Signer":
        folder.mkdir(parents=True, exist_ok=True)
        now = datetime.datetime.now(datetime.UTC)
        ca_key = ec.generate_private_key(ec.SECP256R1())
        ca = (
            x509.CertificateBuilder()
            .subject_name(_name(ca_name))
            .issuer_name(_name(ca_name))
            .public_key(ca_key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=3650))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
            .sign(ca_key, hashes.SHA256())
        )
        tsa_key = ec.generate_private_key(ec.SECP256R1())
        tsa = _tsa_certificate(ca, ca_key, f"{ca_name} TSA", tsa_key, eku="critical")
        # Certificates of the same CA that RFC 3161 forbids to stamp time (openssl ts -reply refuses to sign
        # with them, so their tokens are signed again with `openssl cms`: see Signer.sign_again).
        for mode, eku in (("no_eku", "none"), ("eku_not_critical", "not_critical")):
            key = ec.generate_private_key(ec.SECP256R1())
            certificate = _tsa_certificate(ca, ca_key, f"{ca_name} {mode}", key, eku=eku)
            (folder / f"{mode}.pem").write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
            _write_key(folder / f"{mode}.key", key)
        signer = cls(folder, folder / "ca.pem", folder / "tsa.pem", folder / "tsa.key")
        signer.ca_pem.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
        signer.cert_pem.write_bytes(tsa.public_bytes(serialization.Encoding.PEM))
        _write_key(signer.key_pem, tsa_key)
        (folder / "serial").write_text("01\n")
        (folder / "tsa.cnf").write_text(
            f"""[ tsa ]
default_tsa = tsa_config
[ tsa_config ]
serial = {folder / "serial"}
crypto_device = builtin
signer_cert = {signer.cert_pem}
signer_key = {signer.key_pem}
signer_digest = sha256
default_policy = 1.3.6.1.4.1.99999.1
digests = sha256, sha384, sha512
accuracy = secs:1
ordering = no
tsa_name = yes
ess_cert_id_chain = no
ess_cert_id_alg = sha256
"""
        )
        return signer

    def reply(self, query: bytes) -> bytes:
        """`openssl ts -reply` to a TimeStampReq; a query it cannot read gets a rejection, as from a real TSA."""
        query_file = self.folder / "query.tsq"
        query_file.write_bytes(query)
        done = subprocess.run(
            [OPENSSL, "ts", "-reply", "-config", str(self.folder / "tsa.cnf"), "-queryfile", str(query_file)],
            capture_output=True,
            check=False,
            timeout=30,
        )
        return done.stdout

    def sign_again(self, reply: bytes, mode: str) -> bytes:
        """The reply with its token's TSTInfo signed again, by the certificate of ``mode`` (BAD_USAGE_MODES)."""
        folder = self.folder
        (folder / "reply.tsr").write_bytes(reply)
        for command in (
            ["ts", "-reply", "-in", "reply.tsr", "-token_out", "-out", "token.der"],
            ["cms", "-verify", "-noverify", "-inform", "DER", "-in", "token.der", "-binary", "-out", "tstinfo.der"],
            # id-smime-ct-TSTInfo: the content type a timestamp token's signature covers
            ["cms", "-sign", "-binary", "-nodetach", "-in", "tstinfo.der", "-outform", "DER", "-out", "again.der"]
            + ["-econtent_type", "1.2.840.113549.1.9.16.1.4", "-md", "sha256", "-nosmimecap"]
            + ["-signer", f"{mode}.pem", "-inkey", f"{mode}.key"],
        ):
            subprocess.run([OPENSSL, *command], cwd=folder, capture_output=True, check=True, timeout=30)
        granted = bytes.fromhex("3003020100")  # PKIStatusInfo { granted }
        return _der_wrapped(0x30, granted + (folder / "again.der").read_bytes())


def _altered_query(query: bytes, mode: str) -> bytes:
    """Slid's TimeStampReq (evidence.timestamping.timestamp_request_der) with another digest or nonce, the
    same length: what a TSA that mixes up its requests would stamp."""
    imprint_at = query.index(bytes.fromhex("0420")) + 2
    nonce_end = imprint_at + 32 + 2 + query[imprint_at + 33]
    if mode == "other_digest":
        return query[:imprint_at] + hashlib.sha256(b"another file").digest() + query[imprint_at + 32 :]
    return query[: nonce_end - 1] + bytes([query[nonce_end - 1] ^ 0x02]) + query[nonce_end:]


class LocalTSA:
    """An RFC 3161 TSA over HTTP on 127.0.0.1. ``mode``: "ok" (signs with the trusted signer), "garbage",
    "bad_status_line" (not HTTP), "slow" (a proper answer, one byte every SLOW_BYTE_SECONDS), "untrusted"
    (signs with a certificate of a CA no one configured), "no_eku" and "eku_not_critical" (signs with a
    certificate of the trusted CA without the critical timeStamping usage), "other_digest" and "wrong_nonce"
    (stamps another digest, or answers another nonce, than asked). ``stop()`` closes the port (down);
    ``start()`` opens the same port again."""

    def __init__(self, trusted: Signer, untrusted: Signer, port: int = 0) -> None:
        self.trusted, self.untrusted = trusted, untrusted
        self.mode = "ok"
        self.requests = 0
        self._lock = threading.Lock()  # openssl's serial file: one reply at a time
        self._server: http.server.ThreadingHTTPServer | None = None
        self.port = port
        self.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/tsr"

    def start(self) -> None:
        tsa = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - the standard library's name
                query = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with tsa._lock:
                    tsa.requests += 1
                    mode = tsa.mode
                    if mode == "bad_status_line":
                        self.wfile.write(BAD_STATUS_LINE)
                        return
                    if mode == "garbage":
                        body, content_type = GARBAGE, "text/html"
                    elif mode in BAD_USAGE_MODES:
                        body = tsa.trusted.sign_again(tsa.trusted.reply(query), mode)
                        content_type = "application/timestamp-reply"
                    else:
                        signer = tsa.untrusted if mode == "untrusted" else tsa.trusted
                        if mode in ("other_digest", "wrong_nonce"):
                            query = _altered_query(query, mode)
                        body, content_type = signer.reply(query), "application/timestamp-reply"
                answer = (
                    f"HTTP/1.0 200 OK\r\nContent-Type: {content_type}\r\nContent-Length: {len(body)}\r\n\r\n"
                ).encode() + body
                if mode == "slow":
                    self._drip(answer)
                else:
                    self.wfile.write(answer)

            def _drip(self, answer: bytes) -> None:
                until = time.monotonic() + SLOW_FOR_SECONDS
                for at in range(len(answer)):
                    if time.monotonic() > until:
                        return
                    try:
                        self.wfile.write(answer[at : at + 1])
                        self.wfile.flush()
                    except OSError:
                        return  # the client gave up
                    time.sleep(SLOW_BYTE_SECONDS)

            def log_message(self, *args) -> None:
                pass

        http.server.ThreadingHTTPServer.allow_reuse_address = True
        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        """Down: nothing listens on the port any more (a connection is refused)."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None


def token_text(token_der: bytes, folder: Path) -> str:
    """What `openssl ts -reply -token_in -text` reads in a stored token: an independent parse of it."""
    path = folder / "token.der"
    path.write_bytes(token_der)
    return subprocess.run(
        [OPENSSL, "ts", "-reply", "-in", str(path), "-token_in", "-token_out", "-text"],
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    ).stdout


def openssl_verifies(token_der: bytes, sha256_hex: str, ca_pem: Path, folder: Path) -> subprocess.CompletedProcess:
    """`openssl ts -verify` of a stored token over a digest, against one CA."""
    path = folder / "verify.der"
    path.write_bytes(token_der)
    return subprocess.run(
        [OPENSSL, "ts", "-verify", "-in", str(path), "-token_in", "-digest", sha256_hex, "-CAfile", str(ca_pem)],
        capture_output=True,
        text=True,
        check=False,
        timeout=30,
    )
