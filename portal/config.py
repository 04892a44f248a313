"""Configuration from TLSAUTH_* environment variables (the README lists them)."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

# name, default, meaning — the README table is written from this list.
SETTINGS: list[tuple[str, str, str]] = [
    ("TLSAUTH_DATABASE_URL", "sqlite:///<instance>/tlsauth.sqlite3", "SQLAlchemy database URL"),
    ("TLSAUTH_SECRET_KEY", "generated into instance/secret_key", "session and CSRF signing key"),
    ("TLSAUTH_INSTANCE_DIR", "./instance", "where the SQLite file and generated secret live"),
    ("TLSAUTH_PORTAL_HOST", "127.0.0.1", "portal listen address"),
    ("TLSAUTH_PORTAL_PORT", "5000", "portal port"),
    ("TLSAUTH_MOSAPI_PORT", "8443", "MoSAPI mock port"),
    ("TLSAUTH_RRI_PORT", "8444", "RRI mock port"),
    ("TLSAUTH_MAX_ENTRIES_PER_TLD", "100", "TLS client auth entries per TLD"),
    ("TLSAUTH_MAX_PREFIXES_PER_ENTRY", "500", "IP prefixes per entry (and Basic-auth list)"),
    (
        "TLSAUTH_LOGIN_LIMIT",
        "5 per minute;20 per hour",
        "failed logins allowed per address and per account",
    ),
    (
        "TLSAUTH_RATELIMIT_STORAGE_URI",
        "memory://",
        "Flask-Limiter storage (redis://… for several processes)",
    ),
    (
        "TLSAUTH_SESSION_COOKIE_SECURE",
        "auto",
        "true/false; auto = Secure when the request is HTTPS",
    ),
    ("TLSAUTH_THREADS", "16", "worker threads of the portal's WSGI server"),
    ("TLSAUTH_MOCK_HOST", "127.0.0.1", "listen address of both mocks"),
    ("TLSAUTH_MOCK_THREADS", "32", "worker threads of each mock"),
    ("TLSAUTH_MOCK_WORKERS", "1", "processes serving each mock (SO_REUSEPORT); >1 uses more cores"),
    ("TLSAUTH_CERTS_DIR", "./certs", "harness CA and server certificate (made on first start)"),
    ("TLSAUTH_MAX_BODY_BYTES", "52428800", "largest request body the mocks accept (50 MiB)"),
    (
        "TLSAUTH_EXPLAIN_HEADER",
        "true",
        "false: no X-TLSAuth-Decision header, exactly like production",
    ),
    (
        "TLSAUTH_TLSA_SOURCE",
        "harness",
        "harness (the portal's test zone) or dns (live, DNSSEC-validated)",
    ),
    (
        "TLSAUTH_DNS_RESOLVER",
        "127.0.0.1:53",
        "validating resolver for the dns TLSA source (host[:port])",
    ),
    (
        "TLSAUTH_TRUSTED_PROXIES",
        "",
        "prefixes whose X-Forwarded-For the mocks believe (comma-separated)",
    ),
]


def instance_dir() -> Path:
    return Path(os.environ.get("TLSAUTH_INSTANCE_DIR", "instance")).resolve()


def _secret_key(folder: Path) -> str:
    env = os.environ.get("TLSAUTH_SECRET_KEY")
    if env:
        return env
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "secret_key"
    if not path.exists():
        # Created with owner-only permissions; survives restarts so sessions do too.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32))
    return path.read_text().strip()


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise SystemExit(f"{name} must be a whole number, not {raw!r}") from exc


def _bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name, "").strip().lower()
    if not raw:
        return default
    if raw in {"1", "true", "yes", "on"}:
        return True
    if raw in {"0", "false", "no", "off"}:
        return False
    raise SystemExit(f"{name} must be true or false, not {raw!r}")


def database_url(folder: Path | None = None) -> str:
    folder = folder or instance_dir()
    url = os.environ.get("TLSAUTH_DATABASE_URL")
    if url:
        # Accept the plain postgresql:// form and use the psycopg 3 driver we ship.
        if url.startswith("postgresql://") or url.startswith("postgres://"):
            url = "postgresql+psycopg://" + url.split("://", 1)[1]
        return url
    folder.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{folder / 'tlsauth.sqlite3'}"


def from_environment() -> dict[str, Any]:
    folder = instance_dir()
    secure = os.environ.get("TLSAUTH_SESSION_COOKIE_SECURE", "auto").lower()
    return {
        "INSTANCE_DIR": str(folder),
        "SQLALCHEMY_DATABASE_URI": database_url(folder),
        "SECRET_KEY": _secret_key(folder),
        "PORTAL_HOST": os.environ.get("TLSAUTH_PORTAL_HOST", "127.0.0.1"),
        "PORTAL_PORT": _int("TLSAUTH_PORTAL_PORT", 5000),
        "MOSAPI_PORT": _int("TLSAUTH_MOSAPI_PORT", 8443),
        "RRI_PORT": _int("TLSAUTH_RRI_PORT", 8444),
        "MAX_ENTRIES_PER_TLD": _int("TLSAUTH_MAX_ENTRIES_PER_TLD", 100),
        "MAX_PREFIXES_PER_ENTRY": _int("TLSAUTH_MAX_PREFIXES_PER_ENTRY", 500),
        "LOGIN_LIMIT": os.environ.get("TLSAUTH_LOGIN_LIMIT", "5 per minute;20 per hour"),
        "RATELIMIT_STORAGE_URI": os.environ.get("TLSAUTH_RATELIMIT_STORAGE_URI", "memory://"),
        "SESSION_COOKIE_SECURE_MODE": secure,
        "THREADS": _int("TLSAUTH_THREADS", 16),
        "MOCK_HOST": os.environ.get("TLSAUTH_MOCK_HOST", "127.0.0.1"),
        "MOCK_THREADS": _int("TLSAUTH_MOCK_THREADS", 32),
        "MOCK_WORKERS": max(1, _int("TLSAUTH_MOCK_WORKERS", 1)),
        "CERTS_DIR": str(Path(os.environ.get("TLSAUTH_CERTS_DIR", "certs")).resolve()),
        "MAX_BODY_BYTES": _int("TLSAUTH_MAX_BODY_BYTES", 50 * 1024 * 1024),
        "EXPLAIN_HEADER": _bool("TLSAUTH_EXPLAIN_HEADER", True),
        "TLSA_SOURCE": os.environ.get("TLSAUTH_TLSA_SOURCE", "harness"),
        "DNS_RESOLVER": os.environ.get("TLSAUTH_DNS_RESOLVER", "127.0.0.1:53"),
        "TRUSTED_PROXIES": os.environ.get("TLSAUTH_TRUSTED_PROXIES", ""),
    }
