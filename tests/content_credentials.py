"""Content Credentials (C2PA) made by the tests: a certificate chain of their own (a root CA and a
signing certificate with the key usages C2PA asks of a claim signer), and files signed with it by the
C2PA library's Builder."""

import datetime
import io
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import c2pa
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

if TYPE_CHECKING:
    from tests.tsa import Signer

CLAIM_GENERATOR = {"name": "Slid test camera", "version": "2.1"}
# What the signed files say was done to them: the tests compare the record with these, written by hand.
ACTIONS = [
    {
        "action": "c2pa.created",
        "digitalSourceType": "http://cv.iptc.org/newscodes/digitalsourcetype/digitalCapture",
        "softwareAgent": {"name": "Slid test camera", "version": "2.1"},
        "when": "2026-03-01T09:30:00Z",
    },
    {"action": "c2pa.cropped", "softwareAgent": {"name": "Slid test editor"}},
]


@dataclass(frozen=True)
class SigningChain:
    root_pem: str  # the trust anchor
    chain_pem: str  # the signing certificate, then the root
    key_pem: str
    signer_name: str
    organization: str


def _name(common_name: str, organization: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization),
            x509.NameAttribute(NameOID.COUNTRY_NAME, "UA"),
        ]
    )


def _pem(certificate: x509.Certificate) -> str:
    return certificate.public_bytes(serialization.Encoding.PEM).decode()


def make_chain(label: str) -> SigningChain:
    """A root CA, and a claim-signing certificate it issued: digitalSignature (critical), the
    emailProtection extended key usage, not a CA."""
    now = datetime.datetime.now(datetime.UTC)
    root_key = ec.generate_private_key(ec.SECP256R1())
    root_name = _name(f"{label} root CA", f"{label} CA")
    no_usage = dict.fromkeys(
        ("content_commitment", "key_encipherment", "data_encipherment", "key_agreement", "encipher_only"), False
    )
    root = (
        x509.CertificateBuilder()
        .subject_name(root_name)
        .issuer_name(root_name)
        .public_key(root_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(digital_signature=False, key_cert_sign=True, crl_sign=True, decipher_only=False, **no_usage),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(root_key.public_key()), critical=False)
        .sign(root_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    signer_name, organization = f"{label} signer", f"{label} newsroom"
    signing = (
        x509.CertificateBuilder()
        .subject_name(_name(signer_name, organization))
        .issuer_name(root_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=365))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(digital_signature=True, key_cert_sign=False, crl_sign=False, decipher_only=False, **no_usage),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(root_key.public_key()), critical=False)
        .sign(root_key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    return SigningChain(_pem(root), _pem(signing) + _pem(root), key_pem, signer_name, organization)


def signed(
    content: bytes, media_type: str, chain: SigningChain, *, title: str = "photo.jpg", tsa_url: str | None = None
) -> bytes:
    """The file with a C2PA manifest signed by ``chain``: the claim generator and actions above; its
    signature timestamped by the RFC 3161 authority at ``tsa_url``, if given."""
    manifest = {
        "claim_generator_info": [CLAIM_GENERATOR],
        "title": title,
        "assertions": [{"label": "c2pa.actions", "data": {"actions": ACTIONS}}],
    }
    timestamper = tsa_url.encode() if tsa_url else None
    info = c2pa.C2paSignerInfo(c2pa.C2paSigningAlg.ES256, chain.chain_pem.encode(), chain.key_pem.encode(), timestamper)
    # No check after signing: the signer's root is not one the library trusts (that is the tests' point).
    context = c2pa.Context.from_dict({"verify": {"verify_after_sign": False}})
    output = io.BytesIO()
    with c2pa.Signer.from_info(info) as signer, c2pa.Builder(manifest, context=context) as builder:
        builder.sign(signer, media_type, io.BytesIO(content), output)
    return output.getvalue()


def c2pa_profile_tsa(folder: Path, name: str) -> "Signer":
    """A time-stamp authority's key and certificates (tests.tsa.Signer, for tests.tsa.LocalTSA) that meet
    the certificate profile C2PA asks of a TSA: tests.tsa's own lack the key identifiers (a CA's subject
    key identifier, the TSA's authority key identifier), which c2pa refuses as "certificate params
    incorrect". The same openssl configuration signs with these instead."""
    from tests.tsa import Signer

    signer = Signer.make(folder, name)
    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = _name(f"{name} root", name)
    no_usage = dict.fromkeys(("key_encipherment", "data_encipherment", "key_agreement", "encipher_only"), False)
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_cert_sign=True,
                crl_sign=True,
                decipher_only=False,
                **no_usage,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    tsa = (
        x509.CertificateBuilder()
        .subject_name(_name(f"{name} TSA", name))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_cert_sign=False,
                crl_sign=False,
                decipher_only=False,
                **no_usage,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    signer.ca_pem.write_text(_pem(ca))
    signer.cert_pem.write_text(_pem(tsa))
    signer.key_pem.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return signer
