"""Time Stamping Authorities for the tests, on 127.0.0.1: real RFC 3161 answers made by `openssl ts -reply`,
signed with a TSA certificate (critical extended key usage timeStamping) issued by a test CA made here
with `cryptography`. One server can be switched to answer garbage, to sign with a certificate of another
CA (one nobody configured as a root), or to be down (its port closed)."""

import datetime
import http.server
import shutil
import subprocess
import threading
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

OPENSSL = shutil.which("openssl") or "openssl"
# What a TSA that has lost its mind sends back.
GARBAGE = b"<html><body>503 Service Temporarily Unavailable</body></html>\n"


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
        tsa = (
            x509.CertificateBuilder()
            .subject_name(_name(f"{ca_name} TSA"))
            .issuer_name(ca.subject)
            .public_key(tsa_key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=3650))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(True, True, False, False, False, False, False, False, False), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
            .sign(ca_key, hashes.SHA256())
        )
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


class LocalTSA:
    """An RFC 3161 TSA over HTTP on 127.0.0.1. ``mode``: "ok" (signs with the trusted signer), "garbage",
    "untrusted" (signs with a certificate of a CA no one configured). ``stop()`` closes the port (down);
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
                    if tsa.mode == "garbage":
                        body, content_type = GARBAGE, "text/html"
                    else:
                        signer = tsa.trusted if tsa.mode == "ok" else tsa.untrusted
                        body, content_type = signer.reply(query), "application/timestamp-reply"
                self.send_response(200)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

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
