"""`tlsauth cert new|sign-csr|inspect` and `tlsauth tlsa` (the certificate workbench on the
command line) through the app's Flask CLI group: files and their modes, --force, refusals that
write nothing, and `tlsa --publish` into the harness zone."""

from __future__ import annotations

import hashlib
import json
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from infra.database import db
from portal.core import pki
from portal.services import directory, workbench, zone
from portal.services.errors import Invalid
from tests.helpers import failed, invoke, ok

DOMAIN = "client.example"
DER = serialization.Encoding.DER
SPKI = serialization.PublicFormat.SubjectPublicKeyInfo
# --days N runs from five minutes ago (clock skew) to N days from now.
THIRTY_DAYS = timedelta(days=30, minutes=5)


@pytest.fixture
def certs_dir(app, tmp_path: Path) -> Path:
    folder = tmp_path / "certs"
    app.config["CERTS_DIR"] = str(folder)
    return folder


@pytest.fixture
def out(tmp_path: Path) -> Path:
    return tmp_path / "out"


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def listing(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def load_cert(path: Path) -> x509.Certificate:
    return x509.load_pem_x509_certificate(path.read_bytes())


def spki_sha256(cert: x509.Certificate) -> str:
    return hashlib.sha256(cert.public_key().public_bytes(DER, SPKI)).hexdigest()


def cert_sha256(cert: x509.Certificate) -> str:
    return hashlib.sha256(cert.public_bytes(DER)).hexdigest()


def new(runner, *args: str, input: str | None = None):
    return invoke(runner, "cert", "new", *args, input=input)


# --------------------------------------------------------------------------- cert new


def test_cert_new_self_signed_defaults(runner, certs_dir: Path, out: Path):
    text = ok(new(runner, DOMAIN, "--out", str(out)))
    assert listing(out) == [f"{DOMAIN}.key", f"{DOMAIN}.pem"]
    cert_file, key_file = out / f"{DOMAIN}.pem", out / f"{DOMAIN}.key"
    assert mode(key_file) == 0o600
    assert mode(cert_file) == 0o644
    cert = load_cert(cert_file)
    assert key_file.read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----")  # PKCS#8, clear
    key = serialization.load_pem_private_key(key_file.read_bytes(), None)
    assert isinstance(key, ec.EllipticCurvePrivateKey) and key.curve.name == "secp256r1"
    assert key.public_key() == cert.public_key()
    assert cert.issuer == cert.subject
    assert cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == DOMAIN
    eku = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert list(eku) == [ExtendedKeyUsageOID.CLIENT_AUTH]
    # The TLSA records in presentation form, and the paths.
    assert f"{DOMAIN}. 3600 IN TLSA 3 1 1 {spki_sha256(cert)}" in text
    assert f"{DOMAIN}. 3600 IN TLSA 3 0 1 {cert_sha256(cert)}" in text
    assert "TLSA 2 0 1" not in text
    assert str(cert_file) in text and str(key_file) in text
    assert "mode 0600, not encrypted" in text
    # The key went to the user's folder only.
    assert "PRIVATE KEY" not in text
    assert not certs_dir.exists() or not any(DOMAIN in p.name for p in certs_dir.iterdir())


def test_cert_new_harness_with_p12_and_passphrase(runner, world, certs_dir: Path, out: Path):
    text = ok(
        new(
            runner,
            "Bücher.Example",
            "--issuer",
            "harness",
            "--as",
            world.rsp,
            "--key-type",
            "rsa-2048",
            "--days",
            "30",
            "--extra-san",
            "alt.example",
            "--out",
            str(out),
            "--p12",
            "--key-passphrase-stdin",
            input="key passphrase\np12 password\n",
        )
    )
    name = "xn--bcher-kva.example"
    assert listing(out) == [f"{name}-chain.pem", f"{name}.key", f"{name}.p12", f"{name}.pem"]
    assert mode(out / f"{name}.key") == 0o600
    assert mode(out / f"{name}.p12") == 0o600
    assert mode(out / f"{name}-chain.pem") == 0o644
    ca = load_cert(certs_dir / "harness-ca.pem")
    cert = load_cert(out / f"{name}.pem")
    cert.verify_directly_issued_by(ca)
    assert x509.load_pem_x509_certificates((out / f"{name}-chain.pem").read_bytes()) == [ca]
    sans = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert sans.get_values_for_type(x509.DNSName) == [name, "alt.example"]
    assert cert.not_valid_after_utc - cert.not_valid_before_utc == THIRTY_DAYS
    # Encrypted PKCS#8: only the passphrase opens it.
    key_pem = (out / f"{name}.key").read_bytes()
    assert key_pem.startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----")
    with pytest.raises(TypeError):
        serialization.load_pem_private_key(key_pem, None)
    key = serialization.load_pem_private_key(key_pem, b"key passphrase")
    assert isinstance(key, rsa.RSAPrivateKey) and key.key_size == 2048
    assert key.public_key() == cert.public_key()
    # PKCS#12 with its own password, carrying the chain.
    p12_key, p12_cert, p12_chain = pkcs12.load_key_and_certificates(
        (out / f"{name}.p12").read_bytes(), b"p12 password"
    )
    assert p12_cert == cert and p12_chain == [ca]
    assert p12_key.private_numbers() == key.private_numbers()
    # TLSA: DANE-EE and the harness CA as DANE-TA.
    assert f"{name}. 3600 IN TLSA 3 1 1 {spki_sha256(cert)}" in text
    assert f"{name}. 3600 IN TLSA 2 0 1 {cert_sha256(ca)}" in text
    assert "mode 0600, encrypted" in text
    assert "PRIVATE KEY" not in text and "passphrase\n" not in text


@pytest.mark.parametrize(
    ("args", "check"),
    [
        (["--key-type", "ed25519"], lambda c: isinstance(c.public_key(), ed25519.Ed25519PublicKey)),
        (["--key-type", "ec-p384"], lambda c: c.public_key().curve.name == "secp384r1"),
        (["--preset", "expired"], lambda c: c.not_valid_after_utc < datetime.now(UTC)),
        (
            ["--not-before", "2030-01-01T00:00:00Z", "--not-after", "2030-02-01T00:00:00Z"],
            lambda c: (
                (c.not_valid_before_utc.isoformat(), c.not_valid_after_utc.isoformat())
                == ("2030-01-01T00:00:00+00:00", "2030-02-01T00:00:00+00:00")
            ),
        ),
    ],
    ids=["ed25519", "ec-p384", "expired", "range"],
)
def test_cert_new_options(runner, certs_dir: Path, out: Path, args, check):
    text = ok(new(runner, DOMAIN, "--out", str(out), *args))
    assert check(load_cert(out / f"{DOMAIN}.pem"))
    if "expired" in args:
        assert "(expired)" in text
        assert "(expired)" in ok(invoke(runner, "cert", "inspect", str(out / f"{DOMAIN}.pem")))
    if "ed25519" in args:
        assert "note: Ed25519" in text


def test_cert_new_refuses_to_overwrite_without_force(runner, world, certs_dir: Path, out: Path):
    ok(new(runner, DOMAIN, "--out", str(out), "--issuer", "harness", "--as", world.rsp))
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    text = failed(new(runner, DOMAIN, "--out", str(out)), "already exist", "--force")
    assert str(out / f"{DOMAIN}.pem") in text
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    # Only one of the files present is enough to refuse (here the .p12 is new, the rest not).
    failed(new(runner, DOMAIN, "--out", str(out), "--p12", input="pw\n"), "already exist")
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    # --force replaces them; a loosened key file goes back to 0600.
    (out / f"{DOMAIN}.key").chmod(0o644)
    ok(new(runner, DOMAIN, "--out", str(out), "--force"))
    assert (out / f"{DOMAIN}.pem").read_bytes() != before[f"{DOMAIN}.pem"]
    assert (out / f"{DOMAIN}.key").read_bytes() != before[f"{DOMAIN}.key"]
    assert mode(out / f"{DOMAIN}.key") == 0o600
    new_cert = load_cert(out / f"{DOMAIN}.pem")
    new_key = serialization.load_pem_private_key((out / f"{DOMAIN}.key").read_bytes(), None)
    assert new_key.public_key() == new_cert.public_key()
    assert not [p for p in out.iterdir() if p.name.startswith(".")]  # no temporary files left


@pytest.mark.parametrize(
    ("args", "input", "fragments"),
    [
        (["--key-type", "rsa-1024"], None, ["rsa-1024"]),
        (["--days", "0"], None, ["days must be from 1 to 3650"]),
        (["--days", "4000"], None, ["days must be from 1 to 3650"]),
        (["--days", "ten"], None, ["ten"]),
        (["--days", "5", "--preset", "expired"], None, ["not several"]),
        (["--not-before", "2030-01-01"], None, ["--not-before needs --not-after"]),
        (
            ["--not-before", "2030-02-01", "--not-after", "2030-01-01"],
            None,
            ["ends before it starts"],
        ),
        (["--not-before", "soon", "--not-after", "2030-01-01"], None, ["not a date"]),
        (["--preset", "tomorrow"], None, ["tomorrow"]),
        (["--issuer", "ca"], None, ["'ca'"]),
        (["--extra-san", "not a name"], None, ["spaces"]),
        (["--p12"], "", ["No PKCS#12 password on standard input"]),
        (["--key-passphrase-stdin"], "\n", ["No key passphrase on standard input"]),
        (["--key-passphrase-stdin", "--p12"], "only one line\n", ["No PKCS#12 password"]),
    ],
)
def test_cert_new_bad_input_writes_nothing(
    runner, certs_dir: Path, out: Path, args, input, fragments
):
    failed(new(runner, DOMAIN, "--out", str(out), *args, input=input), *fragments)
    assert not out.exists()


@pytest.mark.parametrize(
    ("domain", "fragment"),
    [
        ("localhost", "two labels"),
        ("bad name.example", "spaces"),
        ("_client.example", "“_” label"),
        ("", "Enter a domain name"),
    ],
)
def test_cert_new_bad_domain(runner, certs_dir: Path, out: Path, domain: str, fragment: str):
    failed(new(runner, domain, "--out", str(out)), fragment)
    assert not out.exists()


def test_cert_new_out_is_a_file(runner, certs_dir: Path, tmp_path: Path):
    target = tmp_path / "a-file"
    target.write_text("x")
    result = new(runner, DOMAIN, "--out", str(target))
    assert result.exit_code != 0 and "Traceback" not in result.output
    assert target.read_text() == "x"


def test_cert_new_creates_nested_out_dir(runner, certs_dir: Path, tmp_path: Path):
    out = tmp_path / "a" / "b"
    ok(new(runner, DOMAIN, "--out", str(out)))
    assert listing(out) == [f"{DOMAIN}.key", f"{DOMAIN}.pem"]


# --------------------------------------------------------------------------- sign-csr


def make_csr(tmp_path: Path, *, der: bool = False, server_auth: bool = False) -> Path:
    key = ec.generate_private_key(ec.SECP256R1())
    builder = x509.CertificateSigningRequestBuilder().subject_name(
        x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "csr.example")])
    )
    builder = builder.add_extension(
        x509.SubjectAlternativeName([x509.DNSName("csr.example")]), critical=False
    )
    if server_auth:
        builder = builder.add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False
        )
    csr = builder.sign(key, hashes.SHA256())
    path = tmp_path / ("client.csr.der" if der else "client.csr")
    path.write_bytes(csr.public_bytes(DER if der else serialization.Encoding.PEM))
    return path


def sign(runner, world, *args: str):
    return invoke(runner, "cert", "sign-csr", "--as", world.rsp, *args)


@pytest.mark.parametrize("der", [False, True], ids=["pem", "der"])
def test_sign_csr(runner, world, certs_dir: Path, tmp_path: Path, der: bool):
    csr = make_csr(tmp_path, der=der)
    target = tmp_path / "signed.pem"
    text = ok(sign(runner, world, str(csr), "--days", "30", "--out", str(target)))
    cert = load_cert(target)
    ca = load_cert(certs_dir / "harness-ca.pem")
    cert.verify_directly_issued_by(ca)
    assert cert.not_valid_after_utc - cert.not_valid_before_utc == THIRTY_DAYS
    assert f"csr.example. 3600 IN TLSA 3 1 1 {spki_sha256(cert)}" in text
    assert f"csr.example. 3600 IN TLSA 2 0 1 {cert_sha256(ca)}" in text
    assert str(target) in text and "harness-ca.pem" in text
    # Existing output: refused without --force, replaced with it.
    before = target.read_bytes()
    failed(sign(runner, world, str(csr), "--out", str(target)), "already exist")
    assert target.read_bytes() == before
    ok(sign(runner, world, str(csr), "--out", str(target), "--force"))
    assert target.read_bytes() != before


def test_sign_csr_refusals(runner, world, certs_dir: Path, tmp_path: Path):
    target = tmp_path / "signed.pem"
    bad = make_csr(tmp_path, server_auth=True)
    failed(sign(runner, world, str(bad), "--out", str(target)), "serverAuth")
    junk = tmp_path / "junk.csr"
    junk.write_bytes(b"hello")
    failed(
        sign(runner, world, str(junk), "--out", str(target)),
        "not a certificate signing request",
    )
    good = make_csr(tmp_path)
    failed(
        sign(runner, world, str(good), "--days", "0", "--out", str(target)),
        "days must be from 1",
    )
    result = sign(runner, world, str(tmp_path / "missing.csr"), "--out", "x.pem")
    assert result.exit_code == 2 and "does not exist" in result.output
    # Who asks must be said: the harness CA issues only names that user may publish.
    result = invoke(runner, "cert", "sign-csr", str(good), "--out", str(target))
    assert result.exit_code == 2 and "--as" in result.output
    assert not target.exists()


# --------------------------------------------------------------------------- inspect


@pytest.fixture
def chain_file(runner, world, certs_dir: Path, out: Path) -> Path:
    ok(new(runner, DOMAIN, "--issuer", "harness", "--as", world.rsp, "--out", str(out)))
    chain = out / "full.pem"
    chain.write_bytes(
        (out / f"{DOMAIN}.pem").read_bytes() + (certs_dir / "harness-ca.pem").read_bytes()
    )
    return chain


def test_inspect_report(runner, chain_file: Path, certs_dir: Path):
    text = ok(invoke(runner, "cert", "inspect", str(chain_file)))
    leaf = load_cert(chain_file)
    ca = load_cert(certs_dir / "harness-ca.pem")
    assert "Certificate 1 of 2 (leaf)" in text and "Certificate 2 of 2 (issuer)" in text
    for fragment in (
        f"subject       CN={DOMAIN}",
        f"SANs          {DOMAIN}",
        "issuer        CN=TLS Auth Harness CA,O=TLS Auth Harness",
        "valid now     yes (valid now)",
        "key           EC secp256r1, 256 bits",
        "EKU           clientAuth",
        f"SHA-256       {cert_sha256(leaf)}",
        f"SPKI SHA-256  {spki_sha256(leaf)}",
        f"{DOMAIN}. 3600 IN TLSA 2 0 1 {cert_sha256(ca)}",
    ):
        assert fragment in text, fragment


def test_inspect_json(runner, chain_file: Path):
    data = json.loads(ok(invoke(runner, "cert", "inspect", "--json", str(chain_file))))
    assert [c["subject"] for c in data["certificates"]][0] == f"CN={DOMAIN}"
    assert data["certificates"][1]["ca"] is True
    assert [(r["usage"], r["selector"], r["matching_type"]) for r in data["tlsa"]] == [
        (3, 1, 1),
        (3, 0, 1),
        (2, 0, 1),
    ]


def test_inspect_der(runner, chain_file: Path, tmp_path: Path):
    der = tmp_path / "leaf.der"
    der.write_bytes(load_cert(chain_file).public_bytes(DER))
    assert "Certificate 1 of 1 (leaf)" in ok(invoke(runner, "cert", "inspect", str(der)))


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        (b"", "Give a certificate"),
        (b"not a certificate at all", "not a certificate"),
        (b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n", "is it a key"),
        (b"\0" * (10 * 1024 * 1024), "larger than"),
    ],
    ids=["empty", "text", "key", "10-MiB"],
)
def test_inspect_refusals(runner, tmp_path: Path, content: bytes, fragment: str):
    path = tmp_path / "upload"
    path.write_bytes(content)
    failed(invoke(runner, "cert", "inspect", str(path)), fragment)


def test_inspect_unrelated(runner, certs_dir: Path, out: Path, tmp_path: Path):
    ok(new(runner, "a.example", "--out", str(out)))
    ok(new(runner, "b.example", "--out", str(out)))
    both = tmp_path / "both.pem"
    both.write_bytes((out / "a.example.pem").read_bytes() + (out / "b.example.pem").read_bytes())
    failed(invoke(runner, "cert", "inspect", str(both)), "several unrelated")


# --------------------------------------------------------------------------- tlsa


def test_tlsa_prints_records(runner, chain_file: Path, certs_dir: Path):
    leaf, ca = load_cert(chain_file), load_cert(certs_dir / "harness-ca.pem")
    text = ok(invoke(runner, "tlsa", str(chain_file)))
    lines = [line.split("  ;")[0] for line in text.splitlines()]
    assert lines == [
        f"{DOMAIN}. 3600 IN TLSA 3 1 1 {spki_sha256(leaf)}",
        f"{DOMAIN}. 3600 IN TLSA 3 0 1 {cert_sha256(leaf)}",
        f"{DOMAIN}. 3600 IN TLSA 2 0 1 {cert_sha256(ca)}",
    ]
    text = ok(
        invoke(runner, "tlsa", str(chain_file), "--name", "Other.Example.", "--records", "2  0 1")
    )
    assert text.splitlines()[0].startswith(f"other.example. 3600 IN TLSA 2 0 1 {cert_sha256(ca)}")
    assert len(text.splitlines()) == 1


def test_tlsa_refusals(runner, certs_dir: Path, out: Path, chain_file: Path):
    leaf_only = out / f"{DOMAIN}.pem"
    failed(invoke(runner, "tlsa", str(leaf_only), "--records", "2 0 1"), "issuing CA")
    result = invoke(runner, "tlsa", str(chain_file), "--records", "0 0 1")
    assert result.exit_code == 2 and "3 1 1" in result.output
    failed(invoke(runner, "tlsa", str(chain_file), "--name", "nope"), "two labels")
    result = invoke(runner, "tlsa", str(chain_file), "--publish")
    assert result.exit_code == 2 and "--as" in result.output
    result = invoke(runner, "tlsa", str(chain_file), "--as", "a@operator-a.example")
    assert result.exit_code == 2 and "--publish" in result.output


def stored(app, name: str) -> list[tuple[int, int, int, str]]:
    with app.app_context():
        return [
            (r.usage, r.selector, r.matching_type, r.data)
            for r in zone.list_records(db.session, name)
        ]


def test_tlsa_publish(app, runner, world, chain_file: Path, certs_dir: Path, out: Path):
    leaf, ca = load_cert(chain_file), load_cert(certs_dir / "harness-ca.pem")
    text = ok(invoke(runner, "tlsa", str(chain_file), "--publish", "--as", world.op_a))
    assert f"{DOMAIN}. 3600 IN TLSA 3 1 1 {spki_sha256(leaf)}" in text
    assert stored(app, DOMAIN) == [(3, 1, 1, spki_sha256(leaf))]
    with app.app_context():
        (row,) = zone.list_records(db.session, DOMAIN)
        assert row.created_by == world.op_a
    ok(
        invoke(
            runner,
            "tlsa",
            str(chain_file),
            "--publish",
            "--as",
            world.op_a,
            "--name",
            "ta.example",
            "--records",
            "3 0 1",
            "--records",
            "2 0 1",
        )
    )
    assert stored(app, "ta.example") == [(3, 0, 1, cert_sha256(leaf)), (2, 0, 1, cert_sha256(ca))]
    # Publishing the same record again, as another organisation, as nobody: refused.
    failed(
        invoke(runner, "tlsa", str(chain_file), "--publish", "--as", world.op_a),
        "already holds",
    )
    failed(
        invoke(
            runner, "tlsa", str(chain_file), "--publish", "--as", world.op_b, "--records", "3 0 1"
        ),
        "another organisation",
    )
    failed(
        invoke(runner, "tlsa", str(chain_file), "--publish", "--as", "ghost@nowhere.example"),
        "not found",
    )
    # 2 0 1 from a leaf without its CA: refused before anything is stored.
    failed(
        invoke(
            runner,
            "tlsa",
            str(out / f"{DOMAIN}.pem"),
            "--publish",
            "--as",
            world.op_a,
            "--name",
            "fresh.example",
            "--records",
            "3 1 1",
            "--records",
            "2 0 1",
        ),
        "issuing CA",
    )
    assert stored(app, "fresh.example") == []
    assert stored(app, DOMAIN) == [(3, 1, 1, spki_sha256(leaf))]


def test_publish_from_certificate_stores_all_or_nothing(app, world, chain_file: Path, out: Path):
    """The service checks every requested record before it stores the first one."""
    leaf_pem = (out / f"{DOMAIN}.pem").read_text()
    with app.app_context():
        user = zone.Publisher(db.session, directory.get_user(db.session, world.op_a), "cli")
        with pytest.raises(Invalid, match="issuing CA"):
            workbench.publish_from_certificate(
                user,
                {"certificate": leaf_pem, "name": "one.example", "records": ["3 1 1", "2 0 1"]},
            )
        assert zone.list_records(db.session, "one.example") == []
        workbench.publish_from_certificate(user, {"certificate": leaf_pem, "name": "two.example"})
        with pytest.raises(Invalid, match="already holds"):
            workbench.publish_from_certificate(
                user,
                {"certificate": leaf_pem, "name": "two.example", "records": ["3 0 1", "3 1 1"]},
            )
        assert [r.selector for r in zone.list_records(db.session, "two.example")] == [1]
        with pytest.raises(Invalid, match="records is a list"):
            workbench.publish_from_certificate(
                user, {"certificate": leaf_pem, "records": [[3, 1, 1]]}
            )
        # The same kind twice is one record.
        published = workbench.publish_from_certificate(
            user,
            {"certificate": leaf_pem, "name": "three.example", "records": ["3 0 1", "3 0 1"]},
        )
        assert len(published) == 1


def test_tlsa_certificate_without_dns_name(app, runner, world, tmp_path: Path):
    """No dNSName in the SAN: the records need --name (never a placeholder name)."""
    leaf = pki.self_signed(common_name="no san", usage=(), validity=pki.Validity.days(1))
    cert = leaf.cert
    path = leaf.cert_pem.write_to_path(tmp_path / "nosan.pem")
    failed(invoke(runner, "tlsa", str(path)), "give --name")
    failed(invoke(runner, "tlsa", str(path), "--publish", "--as", world.op_a), "give --name")
    text = ok(invoke(runner, "tlsa", str(path), "--name", "named.example"))
    assert text.startswith(f"named.example. 3600 IN TLSA 3 1 1 {spki_sha256(cert)}")
    with app.app_context():
        user = zone.Publisher(db.session, directory.get_user(db.session, world.op_a), "cli")
        with pytest.raises(Invalid, match="names no domain"):
            workbench.publish_from_certificate(user, {"certificate": path.read_text()})
        assert zone.list_records(db.session) == []
    ok(
        invoke(
            runner, "tlsa", str(path), "--publish", "--as", world.op_a, "--name", "named.example"
        )
    )
    assert stored(app, "named.example") == [(3, 1, 1, spki_sha256(cert))]


def test_cert_new_write_failure_leaves_nothing(
    runner, certs_dir: Path, tmp_path: Path, monkeypatch
):
    import portal.cli.files

    def broken_replace(src, dst):
        raise OSError(28, "No space left on device")

    out = tmp_path / "new" / "folder"
    monkeypatch.setattr(portal.cli.files.os, "replace", broken_replace)
    failed(new(runner, DOMAIN, "--out", str(out), "--p12", input="pw\n"), "No space left")
    assert not (tmp_path / "new").exists()


def test_cert_new_folder_in_the_way(runner, certs_dir: Path, out: Path):
    (out / f"{DOMAIN}.key").mkdir(parents=True)
    failed(new(runner, DOMAIN, "--out", str(out), "--force"), "a folder is in the way")
    assert listing(out) == [f"{DOMAIN}.key"]
