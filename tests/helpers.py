"""Helpers shared by the tests: signing in, API tokens, CLI results, mock policy set-up,
client certificates."""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from sqlalchemy import select

from infra.database import db
from infra.harness_pki import HarnessMaterial
from portal.core import pki
from portal.core.roles import ROLE_IDS
from portal.core.tlsa import record_for
from portal.core.validation import Entry
from portal.models import DecisionLogRow, Tld
from portal.services import configuration as cfg
from portal.services import directory, tokens, zone

PASSWORD = "correct horse battery"
HTMX = {"HX-Request": "true"}
ROOT = Path(__file__).resolve().parents[1]

_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|"X-CSRFToken": "([^"]+)"')


def csrf_from(html: str) -> str:
    match = _CSRF.search(html)
    assert match, "no CSRF token in page"
    return match.group(1) or match.group(2)


def sign_in(client, email: str, password: str = PASSWORD) -> str:
    """Sign in through the real form; return a CSRF token for later posts."""
    page = client.get("/login").get_data(as_text=True)
    response = client.post(
        "/login", data={"email": email, "password": password, "csrf_token": csrf_from(page)}
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    return csrf_from(client.get("/tlds").get_data(as_text=True))


def api_token(app, email: str) -> str:
    with app.app_context():
        _, token = tokens.create_token(db.session, directory.get_user(db.session, email), "test")
    return token


# ------------------------------------------------------------------ CLI results


def invoke(runner, *args: str, input: str | None = None):
    return runner.invoke(args=list(args), input=input)


def ok(result) -> str:
    assert result.exit_code == 0, (result.output, result.exception)
    return result.output


def failed(result, *fragments: str) -> str:
    """Assert a clean, non-zero exit (a ClickException, not a traceback) naming `fragments`."""
    assert result.exit_code != 0, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        f"uncaught {result.exception!r}"
    )
    assert "Traceback" not in result.output
    for fragment in fragments:
        assert fragment in result.output, (fragment, result.output)
    return result.output


# ------------------------------------------------------------------ mock policy


def set_entries(app, entries, tld_name="alpha"):
    with app.app_context():
        tld = db.session.scalars(select(Tld).where(Tld.name == tld_name)).one()
        cfg.replace_entries(
            db.session,
            tld,
            [e.as_dict() for e in entries],
            tld.version,
            cfg.Actor("test", "cli"),
            cfg.Limits(),
        )


def publish(app, email, name, cert, usage=3, selector=1, matching_type=1):
    with app.app_context():
        user = directory.get_user(db.session, email)
        rec = record_for(cert, usage, selector, matching_type)
        zone.publish(zone.Publisher(db.session, user, "cli"), {"name": name, **rec.as_dict()})


def last_decision(app) -> DecisionLogRow:
    with app.app_context():
        row = db.session.scalars(select(DecisionLogRow).order_by(DecisionLogRow.id.desc())).first()
        db.session.expunge(row)
        return row


def basic_auth(user: str, password: str) -> dict[str, str]:
    """The HTTP Basic Authorization header for user:password."""
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


REGISTRY_PASSWORD = "registry-password-1"


def open_basic(app, tld_name="alpha", password=REGISTRY_PASSWORD, prefixes=("127.0.0.1/32",)):
    """Give the TLD's registry account (`<tld>_ry`) `password` and the Basic-auth prefixes;
    return its Authorization header."""
    with app.app_context():
        tld = db.session.scalars(select(Tld).where(Tld.name == tld_name)).one()
        actor = cfg.Actor("test", "cli")
        cfg.set_password(db.session, tld, "ry", password, tld.version, actor)
        cfg.set_basic_acl(db.session, tld, list(prefixes), tld.version, actor, cfg.Limits())
    return basic_auth(f"{tld_name}_ry", password)


def iirdea_code(body: bytes) -> int:
    """The result code of an RRI answer's iirdea body."""
    match = re.search(rb'<result code="(\d{4})">', body)
    assert match, body
    return int(match.group(1))


# ------------------------------------------------------------------ client certificates


@dataclass
class Credential:
    """A client certificate and its key, written to files for a TLS client."""

    cert: x509.Certificate
    key: pki.PrivateKey
    cert_file: Path
    key_file: Path

    def spki_sha256(self) -> str:
        """SHA-256 of the public key (TLSA 3 1 1), computed here rather than by the product."""
        spki = self.cert.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        return hashlib.sha256(spki).hexdigest()


def client_cert(
    folder: Path,
    domain: str,
    *,
    issuer: pki.CA | None = None,
    san: str | None = None,
    expired: bool = False,
    stem: str | None = None,
) -> Credential:
    """A clientAuth certificate with CN `domain` and SAN `san` (default `domain`): self-signed,
    or issued by `issuer`; valid for 30 days from an hour ago, or expired yesterday."""
    now = datetime.now(UTC)
    valid = (
        pki.Validity(now - timedelta(days=30), now - timedelta(days=1))
        if expired
        else pki.Validity.days(30, now=now, backdate=timedelta(hours=1))
    )
    name = san or domain
    leaf = (
        issuer.issue_cert(name, common_name=domain, validity=valid)
        if issuer
        else pki.self_signed(name, common_name=domain, validity=valid)
    )
    folder.mkdir(parents=True, exist_ok=True)
    stem = stem or f"{domain}-{leaf.cert.serial_number % 10**8}"
    cert_file = leaf.cert_pem.write_to_path(folder / f"{stem}.pem")
    key_file = leaf.key_pem.write_to_path(folder / f"{stem}.key")
    return Credential(leaf.cert, leaf.key, cert_file, key_file)


def load_ca(certs_dir: Path) -> pki.CA:
    """The harness CA in certs_dir, with its key, to issue test certificates."""
    return HarnessMaterial(certs_dir).load_signing_ca()


def trusted_client(app, email: str, folder: Path, domain: str, tld_name="alpha") -> Credential:
    """A client certificate for `domain`, the TLD's one entry with every role from 127.0.0.1,
    its 3 1 1 record published by `email`."""
    cred = client_cert(folder, domain)
    set_entries(app, [Entry(domain, ROLE_IDS, ("127.0.0.1/32",))], tld_name)
    publish(app, email, domain, cred.cert)
    return cred
