"""The certificate builder (portal/core/pki.py): key types, CA chains with path lengths, EKU,
SANs, validity windows, PEM/DER and the files it writes. Chains and purposes are checked by
the openssl command and by a real TLS handshake, not only by reading back what was built."""

from __future__ import annotations

import ipaddress
import os
import shutil
import socket
import ssl
import stat
import subprocess
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from portal.core import pki

OPENSSL = shutil.which("openssl")
assert OPENSSL, "the openssl command is needed for the independent chain checks"

KEYS = {
    "ec-p256": (ec.EllipticCurvePrivateKey, 256, "prime256v1"),
    "ec-p384": (ec.EllipticCurvePrivateKey, 384, "secp384r1"),
    "rsa-2048": (rsa.RSAPrivateKey, 2048, "rsaEncryption"),
    "rsa-3072": (rsa.RSAPrivateKey, 3072, "rsaEncryption"),
    "rsa-4096": (rsa.RSAPrivateKey, 4096, "rsaEncryption"),
    "ed25519": (ed25519.Ed25519PrivateKey, None, "ED25519"),
}


def openssl(*args: str, data: bytes = b"") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [OPENSSL, *args], input=data.decode(), capture_output=True, text=True, check=False
    )


def verify(
    tmp_path: Path,
    leaf: pki.LeafCert,
    root: pki.CA,
    purpose: str = "sslclient",
    *extra: str,
) -> subprocess.CompletedProcess[str]:
    """openssl verify of leaf against root only, with the leaf's issuers as untrusted chain."""
    root_file = root.cert_pem.write_to_path(tmp_path / "root.pem")
    leaf_file = leaf.cert_pem.write_to_path(tmp_path / "leaf.pem")
    args = ["verify", "-CAfile", str(root_file), "-purpose", purpose, *extra]
    intermediates = [c for c in leaf.issuers if c != root.cert]
    if intermediates:
        untrusted = pki.certs_pem(intermediates).write_to_path(tmp_path / "untrusted.pem")
        args += ["-untrusted", str(untrusted)]
    return openssl(*args, str(leaf_file))


def ext(cert: x509.Certificate, cls):
    return cert.extensions.get_extension_for_class(cls)


# --------------------------------------------------------------------------- keys


def test_key_types_are_the_workbench_table():
    assert set(pki.KEY_TYPES) == set(KEYS)


@pytest.mark.parametrize("key_type", list(KEYS))
def test_key_type_self_signed(key_type: pki.KeyType, tmp_path: Path):
    leaf = pki.self_signed("keys.example", key_type=key_type)
    key_class, bits, openssl_name = KEYS[key_type]
    assert isinstance(leaf.key, key_class)
    if bits:
        assert leaf.key.key_size == bits
    text = openssl("x509", "-noout", "-text", data=leaf.cert_pem.data).stdout
    assert openssl_name in text
    if bits and key_type.startswith("rsa-"):
        assert f"({bits} bit)" in text
    # The signature digest suits the key: none for EdDSA, SHA-384 for P-384.
    expected = {"ed25519": None, "ec-p384": hashes.SHA384}.get(key_type, hashes.SHA256)
    algorithm = leaf.cert.signature_hash_algorithm
    assert (algorithm is None) if expected is None else isinstance(algorithm, expected)
    # Self-signed: openssl accepts it as its own anchor; key and certificate belong together.
    assert verify(tmp_path, leaf, pki.CA(leaf.cert, leaf.key)).returncode == 0
    pub = leaf.cert.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    assert pub == leaf.key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    # RSA leaves may encipher keys (RSA key exchange); no other key does.
    ku = ext(leaf.cert, x509.KeyUsage)
    assert ku.critical and ku.value.digital_signature
    assert ku.value.key_encipherment is key_type.startswith("rsa-")


def test_unknown_key_type():
    with pytest.raises(ValueError, match="unknown key type"):
        pki.new_key("ec-p521")  # type: ignore[arg-type]


# --------------------------------------------------------------------------- chains


def test_chain_root_intermediate_leaf_verifies(tmp_path: Path):
    root = pki.CA.create("Test Root", organization="Test Org", path_length=1)
    inter = root.child_ca("Test Intermediate", path_length=0)
    leaf = inter.issue_cert("client.example")

    assert leaf.issuers == (inter.cert, root.cert)
    assert x509.load_pem_x509_certificates(leaf.chain_pem.data) == [leaf.cert, *leaf.issuers]
    leaf.cert.verify_directly_issued_by(inter.cert)
    inter.cert.verify_directly_issued_by(root.cert)
    done = verify(tmp_path, leaf, root)
    assert done.returncode == 0, done.stderr
    # Without the intermediate there is no path to the root.
    alone = pki.LeafCert(leaf.cert, leaf.key)
    assert verify(tmp_path, alone, root).returncode != 0

    # CA extensions: critical basic constraints with the path length, certificate signing.
    for ca, length in ((root, 1), (inter, 0)):
        bc = ext(ca.cert, x509.BasicConstraints)
        assert bc.critical and bc.value.ca and bc.value.path_length == length
        ku = ext(ca.cert, x509.KeyUsage)
        assert ku.critical and ku.value.key_cert_sign and ku.value.crl_sign
        assert not ku.value.digital_signature
    assert root.cert.subject.rfc4514_string() == "CN=Test Root,O=Test Org"
    assert root.cert.issuer == root.cert.subject
    # Key identifiers link each certificate to its issuer.
    for child, parent in ((leaf.cert, inter.cert), (inter.cert, root.cert)):
        aki = ext(child, x509.AuthorityKeyIdentifier).value
        assert aki.key_identifier == ext(parent, x509.SubjectKeyIdentifier).value.digest
    with pytest.raises(x509.ExtensionNotFound):
        ext(root.cert, x509.AuthorityKeyIdentifier)


def test_path_length_is_enforced(tmp_path: Path):
    root = pki.CA.create("Root")
    inter = root.child_ca("Intermediate", path_length=0)
    too_deep = inter.child_ca("Below a path length of 0")
    leaf = too_deep.issue_cert("deep.example")
    done = verify(tmp_path, leaf, root)
    assert done.returncode != 0 and "path length" in (done.stdout + done.stderr)
    # The same depth under a CA without a limit verifies.
    free_root = pki.CA.create("Unlimited Root")
    deep = free_root.child_ca("I1").child_ca("I2").issue_cert("deep.example")
    assert verify(tmp_path, deep, free_root).returncode == 0


# --------------------------------------------------------------------------- usage and names


def test_client_leaf_is_client_only(tmp_path: Path):
    root = pki.CA.create("Root")
    leaf = root.issue_cert("client.example", "alt.example")
    assert list(ext(leaf.cert, x509.ExtendedKeyUsage).value) == [ExtendedKeyUsageOID.CLIENT_AUTH]
    assert verify(tmp_path, leaf, root, "sslclient").returncode == 0
    assert verify(tmp_path, leaf, root, "sslserver").returncode != 0
    bc = ext(leaf.cert, x509.BasicConstraints)
    assert bc.critical and not bc.value.ca
    # CN is the first name; every name is in the SAN.
    assert leaf.cert.subject.rfc4514_string() == "CN=client.example"
    san = ext(leaf.cert, x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.DNSName) == ["client.example", "alt.example"]


def test_server_leaf_names_and_addresses(tmp_path: Path):
    root = pki.CA.create("Root")
    leaf = root.issue_cert(
        "localhost",
        "api.localhost",
        common_name="server",
        ips=("127.0.0.1", "::1"),
        usage=("server",),
    )
    assert leaf.cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "server"
    san = ext(leaf.cert, x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.DNSName) == ["localhost", "api.localhost"]
    assert san.get_values_for_type(x509.IPAddress) == [
        ipaddress.ip_address("127.0.0.1"),
        ipaddress.ip_address("::1"),
    ]

    def server_ok(*checks: str) -> bool:
        return verify(tmp_path, leaf, root, "sslserver", *checks).returncode == 0

    assert server_ok("-verify_hostname", "api.localhost")
    assert server_ok("-verify_ip", "::1")
    assert not server_ok("-verify_hostname", "other.example")
    assert not server_ok("-verify_ip", "127.0.0.2")
    assert verify(tmp_path, leaf, root, "sslclient").returncode != 0


def test_both_usages_and_none():
    both = pki.self_signed("both.example", usage=("client", "server"))
    assert list(ext(both.cert, x509.ExtendedKeyUsage).value) == [
        ExtendedKeyUsageOID.CLIENT_AUTH,
        ExtendedKeyUsageOID.SERVER_AUTH,
    ]
    bare = pki.self_signed(common_name="no names", usage=())
    for cls in (x509.ExtendedKeyUsage, x509.SubjectAlternativeName):
        with pytest.raises(x509.ExtensionNotFound):
            ext(bare.cert, cls)
    assert bare.cert.subject.rfc4514_string() == "CN=no names"


def test_build_leaf_needs_a_name_and_a_signer():
    key = pki.new_key()
    with pytest.raises(ValueError, match="common name"):
        pki.build_leaf(key.public_key(), (), signing_key=key)
    with pytest.raises(ValueError, match="signing key"):
        pki.build_leaf(key.public_key(), ["a.example"])


def test_signing_a_foreign_public_key():
    """A CA signs a key it never held (a CSR's): the certificate carries that key."""
    root = pki.CA.create("Root", key_type="ec-p384")
    outside = rsa.generate_private_key(65537, 2048)
    cert = pki.build_leaf(outside.public_key(), ["csr.example"], issuer=root)
    cert.verify_directly_issued_by(root.cert)
    assert cert.public_key() == outside.public_key()
    assert isinstance(cert.signature_hash_algorithm, hashes.SHA384)  # the P-384 signer's


# --------------------------------------------------------------------------- validity


def test_validity_days_backdates():
    now = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
    assert pki.Validity.days(30, now=now) == pki.Validity(
        now - timedelta(minutes=5), now + timedelta(days=30)
    )
    assert pki.Validity.days(1, now=now, backdate=timedelta(hours=1)).not_before == (
        now - timedelta(hours=1)
    )


def test_default_validity_windows():
    now = datetime.now(UTC)
    leaf = pki.self_signed("v.example")
    ca = pki.CA.create("V")
    for cert, days in ((leaf.cert, pki.LEAF_DAYS), (ca.cert, pki.CA_DAYS)):
        assert now - timedelta(minutes=6) < cert.not_valid_before_utc <= now
        assert abs(cert.not_valid_after_utc - (now + timedelta(days=days))) < timedelta(minutes=1)


def test_explicit_window_and_openssl_time_checks(tmp_path: Path):
    now = datetime.now(UTC).replace(microsecond=0)
    root = pki.CA.create("Root")
    expired = root.issue_cert(
        "old.example", validity=pki.Validity(now - timedelta(days=30), now - timedelta(days=1))
    )
    assert expired.cert.not_valid_before_utc == now - timedelta(days=30)
    assert expired.cert.not_valid_after_utc == now - timedelta(days=1)
    done = verify(tmp_path, expired, root)
    assert done.returncode != 0 and "expired" in done.stdout + done.stderr
    later = root.issue_cert(
        "later.example", validity=pki.Validity(now + timedelta(days=1), now + timedelta(days=2))
    )
    done = verify(tmp_path, later, root)
    assert done.returncode != 0 and "not yet valid" in done.stdout + done.stderr


# --------------------------------------------------------------------------- PEM, DER, files


def test_pem_and_der_round_trip():
    root = pki.CA.create("Root")
    leaf = root.issue_cert("pem.example", key_type="ed25519")
    assert x509.load_der_x509_certificate(leaf.cert_der.data) == leaf.cert
    assert x509.load_pem_x509_certificate(leaf.cert_pem.data) == leaf.cert
    assert leaf.cert_pem.text().startswith("-----BEGIN CERTIFICATE-----")
    for blob, load in (
        (leaf.key_pem, serialization.load_pem_private_key),
        (leaf.key_der, serialization.load_der_private_key),
    ):
        assert blob.secret
        assert load(blob.data, None).public_key() == leaf.key.public_key()
    assert not leaf.cert_pem.secret and not leaf.chain_pem.secret
    encrypted = pki.key_pem(leaf.key, "passphrase")
    assert b"ENCRYPTED PRIVATE KEY" in encrypted.data
    with pytest.raises(TypeError):
        serialization.load_pem_private_key(encrypted.data, None)
    opened = serialization.load_pem_private_key(encrypted.data, b"passphrase")
    assert opened.public_key() == leaf.key.public_key()
    # A CA saved and loaded again issues certificates that chain to the saved certificate.
    again = pki.CA.from_pem(root.cert_pem.data, root.key_pem.data)
    again.issue_cert("again.example").cert.verify_directly_issued_by(root.cert)


def test_from_pem_refuses_other_key_kinds():
    from cryptography.hazmat.primitives.asymmetric import ed448

    other = ed448.Ed448PrivateKey.generate()
    key = other.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    with pytest.raises(ValueError, match="not supported"):
        pki.CA.from_pem(pki.CA.create("R").cert_pem.data, key)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_files_and_modes(tmp_path: Path):
    leaf = pki.CA.create("Root").issue_cert("files.example")
    old_umask = os.umask(0)
    try:
        key_file = leaf.key_pem.write_to_path(tmp_path / "k.key")
        cert_file = leaf.chain_pem.write_to_path(tmp_path / "c.pem")
        # A key written over an existing, world-readable file is narrowed to the owner too.
        wide = tmp_path / "wide.key"
        wide.write_text("old")
        wide.chmod(0o644)
        leaf.key_der.write_to_path(wide)
    finally:
        os.umask(old_umask)
    assert mode(key_file) == 0o600 and mode(wide) == 0o600
    assert mode(cert_file) == 0o666  # public material follows the umask (0 here)
    assert wide.read_bytes() == leaf.key_der.data  # truncated, not appended to
    assert key_file.read_bytes() == leaf.key_pem.data
    assert cert_file.read_bytes() == leaf.chain_pem.data
    # append adds to a file (a bundle of certificates).
    leaf.cert_pem.write_to_path(cert_file, append=True)
    assert x509.load_pem_x509_certificates(cert_file.read_bytes()) == [
        leaf.cert,
        *leaf.issuers,
        leaf.cert,
    ]


def test_mutual_tls_handshake(tmp_path: Path):
    """Server and client certificates from one CA complete a real TLS 1.3 handshake."""
    ca = pki.CA.create("Handshake CA")
    server = ca.issue_cert("localhost", ips=("127.0.0.1",), usage=("server",))
    client = ca.issue_cert("client.example", key_type="rsa-2048")
    ca_file = ca.cert_pem.write_to_path(tmp_path / "ca.pem")
    server_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_ctx.load_cert_chain(
        server.chain_pem.write_to_path(tmp_path / "server.pem"),
        server.key_pem.write_to_path(tmp_path / "server.key"),
    )
    server_ctx.verify_mode = ssl.CERT_REQUIRED
    server_ctx.load_verify_locations(ca_file)
    client_ctx = ssl.create_default_context(cafile=str(ca_file))
    client_ctx.load_cert_chain(
        client.chain_pem.write_to_path(tmp_path / "client.pem"),
        client.key_pem.write_to_path(tmp_path / "client.key"),
    )
    a, b = socket.socketpair()
    seen: dict[str, object] = {}

    def serve() -> None:
        with server_ctx.wrap_socket(a, server_side=True) as tls:
            seen["peer"] = tls.getpeercert()
            tls.sendall(b"ok")

    thread = threading.Thread(target=serve)
    thread.start()
    with client_ctx.wrap_socket(b, server_hostname="localhost") as tls:
        assert tls.recv(2) == b"ok"
    thread.join(timeout=10)
    peer = seen["peer"]
    assert isinstance(peer, dict)
    assert ("DNS", "client.example") in peer["subjectAltName"]


def test_a_name_longer_than_a_common_name_may_be_lives_in_the_san() -> None:
    long_name = "a-very-long-client-label-for-testing." + "b" * 40 + ".example"
    leaf = pki.self_signed(long_name)
    san = leaf.cert.extensions.get_extension_for_class(x509.SubjectAlternativeName)
    assert san.value.get_values_for_type(x509.DNSName) == [long_name]
    [cn] = leaf.cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    assert cn.value == "a-very-long-client-label-for-testing"
