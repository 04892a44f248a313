"""The harness's TLS material (infra/harness_pki.py): its files, names and modes, a server
certificate that TLS clients accept for every local name, and one key pair even when several
servers start at once."""

from __future__ import annotations

import multiprocessing
import stat
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import ExtendedKeyUsageOID

from infra.harness_pki import SERVER_ADDRESSES, SERVER_NAMES, ensure_material


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def public_der(key_or_cert) -> bytes:
    public = key_or_cert.public_key()
    return public.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def assert_consistent(folder: Path) -> None:
    """server.pem is leaf then CA, server.key belongs to the leaf, the CA issued the leaf."""
    material = ensure_material(folder)
    leaf, ca = x509.load_pem_x509_certificates(material.server_cert.read_bytes())
    assert ca == material.load_ca()
    server_key = serialization.load_pem_private_key(material.server_key.read_bytes(), None)
    assert public_der(server_key) == public_der(leaf)
    ca_key = serialization.load_pem_private_key(material.ca_key.read_bytes(), None)
    assert public_der(ca_key) == public_der(ca)
    leaf.verify_directly_issued_by(ca)


def test_files_names_and_modes(tmp_path: Path):
    material = ensure_material(tmp_path / "certs")
    names = {p.name for p in material.folder.iterdir() if not p.name.startswith(".")}
    assert names == {"harness-ca.pem", "harness-ca.key", "server.pem", "server.key"}
    assert mode(material.ca_key) == 0o600 and mode(material.server_key) == 0o600
    assert_consistent(material.folder)
    leaf, ca = x509.load_pem_x509_certificates(material.server_cert.read_bytes())
    assert ca.subject.rfc4514_string() == "CN=TLS Auth Harness CA,O=TLS Auth Harness"
    assert ca.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    san = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.DNSName) == list(SERVER_NAMES)
    assert [str(a) for a in san.get_values_for_type(x509.IPAddress)] == list(SERVER_ADDRESSES)
    eku = leaf.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert list(eku) == [ExtendedKeyUsageOID.SERVER_AUTH]
    # The material is made once: a second start keeps it.
    before = {p.name: p.read_bytes() for p in material.folder.iterdir()}
    ensure_material(material.folder)
    assert {p.name: p.read_bytes() for p in material.folder.iterdir()} == before


def _start(folder: str, barrier) -> None:
    barrier.wait()
    ensure_material(Path(folder))


def test_servers_starting_together_share_one_key_pair(tmp_path: Path):
    """Forked mock workers call ensure_material at the same moment on an empty folder."""
    for attempt in range(5):
        folder = tmp_path / f"certs-{attempt}"
        ctx = multiprocessing.get_context("fork")
        barrier = ctx.Barrier(6)
        procs = [ctx.Process(target=_start, args=(str(folder), barrier)) for _ in range(6)]
        for p in procs:
            p.start()
        for p in procs:
            p.join(timeout=60)
        assert [p.exitcode for p in procs] == [0] * 6
        assert_consistent(folder)
