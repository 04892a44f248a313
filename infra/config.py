"""Configuration from TLSAUTH_* environment variables; the README's table lists the same ones.

Each setting is declared once, with its default, its parser and its meaning: the app config,
the README table check and the error messages all read this one list.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from limits import parse_many

from portal.core.validation import Limits


def instance_dir() -> Path:
    return Path(os.environ.get("TLSAUTH_INSTANCE_DIR", "instance")).resolve()


def _text(name: str, raw: str) -> str:
    return raw


def _int(name: str, raw: str) -> int:
    try:
        return int(raw)
    except ValueError as exc:
        raise SystemExit(f"{name} must be a whole number, not {raw!r}") from exc


def _positive(name: str, raw: str) -> int:
    return max(1, _int(name, raw))


def _bool(name: str, raw: str) -> bool:
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise SystemExit(f"{name} must be true or false, not {raw!r}")


def _rate_limit(name: str, raw: str) -> str:
    """A rate in the `limits` notation ("5 per minute;20 per hour"); "0" (no limit) becomes ""."""
    text = raw.strip()
    if text in {"", "0"}:
        return ""
    try:
        parse_many(text)
    except ValueError as exc:
        raise SystemExit(f"{name} must be like '5 per minute' or 0, not {raw!r}") from exc
    return text


def _lower(name: str, raw: str) -> str:
    return raw.strip().lower()


def _path(name: str, raw: str) -> str:
    return str(Path(raw).resolve())


def _database_url(name: str, raw: str) -> str:
    if not raw:
        folder = instance_dir()
        folder.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{folder / 'tlsauth.sqlite3'}"
    # Accept the plain postgresql:// form and use the psycopg 3 driver we ship.
    if raw.startswith(("postgresql://", "postgres://")):
        return "postgresql+psycopg://" + raw.split("://", 1)[1]
    return raw


def _secret_key(name: str, raw: str) -> str:
    if raw:
        return raw
    folder = instance_dir()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "secret_key"
    if not path.exists():
        # Created with owner-only permissions; survives restarts so sessions do too.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32))
    return path.read_text().strip()


@dataclass(frozen=True)
class Setting:
    env: str  # the environment variable
    key: str  # the app config key
    default: str  # as the variable would be written; "" = computed by the parser
    meaning: str
    parse: Callable[[str, str], Any] = _text
    shown_default: str = ""  # the README's wording where the default is computed

    def read(self) -> Any:
        raw = os.environ.get(self.env, "")
        return self.parse(self.env, raw if raw != "" else self.default)


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "TLSAUTH_DATABASE_URL",
        "SQLALCHEMY_DATABASE_URI",
        "",
        "SQLAlchemy database URL",
        _database_url,
        "sqlite:///instance/tlsauth.sqlite3",
    ),
    Setting(
        "TLSAUTH_SECRET_KEY",
        "SECRET_KEY",
        "",
        "session and CSRF signing key",
        _secret_key,
        "generated once into instance/secret_key",
    ),
    Setting(
        "TLSAUTH_INSTANCE_DIR",
        "INSTANCE_DIR",
        "instance",
        "where the SQLite file and the generated key live",
        _path,
    ),
    Setting("TLSAUTH_PORTAL_HOST", "PORTAL_HOST", "127.0.0.1", "portal listen address"),
    Setting("TLSAUTH_PORTAL_PORT", "PORTAL_PORT", "5000", "portal port", _int),
    Setting("TLSAUTH_MOSAPI_PORT", "MOSAPI_PORT", "8443", "MoSAPI mock port", _int),
    Setting("TLSAUTH_RRI_PORT", "RRI_PORT", "8444", "RRI mock port", _int),
    Setting(
        "TLSAUTH_MAX_ENTRIES_PER_TLD",
        "MAX_ENTRIES_PER_TLD",
        "100",
        "TLS client auth entries per TLD",
        _int,
    ),
    Setting(
        "TLSAUTH_MAX_PREFIXES_PER_ENTRY",
        "MAX_PREFIXES_PER_ENTRY",
        "500",
        "IP prefixes per entry and in the Basic-auth list",
        _int,
    ),
    Setting(
        "TLSAUTH_LOGIN_LIMIT",
        "LOGIN_LIMIT",
        "5 per minute;20 per hour",
        "failed sign-ins allowed per address and per account",
    ),
    Setting(
        "TLSAUTH_RATELIMIT_STORAGE_URI",
        "RATELIMIT_STORAGE_URI",
        "memory://",
        "storage of the portal's sign-in limit and the MoSAPI mock's login limit "
        "(redis://… to share them between processes)",
    ),
    Setting(
        "TLSAUTH_SESSION_COOKIE_SECURE",
        "SESSION_COOKIE_SECURE_MODE",
        "auto",
        "auto: Secure when the request came over HTTPS; or true/false",
        _lower,
    ),
    Setting("TLSAUTH_THREADS", "THREADS", "16", "worker threads of the portal's WSGI server", _int),
    Setting("TLSAUTH_MOCK_HOST", "MOCK_HOST", "127.0.0.1", "listen address of both mocks"),
    Setting("TLSAUTH_MOCK_THREADS", "MOCK_THREADS", "32", "worker threads of each mock", _int),
    Setting(
        "TLSAUTH_MOCK_WORKERS",
        "MOCK_WORKERS",
        "1",
        "processes serving each mock port (SO_REUSEPORT); 2 uses both cores of a 2-core machine",
        _positive,
    ),
    Setting(
        "TLSAUTH_CERTS_DIR",
        "CERTS_DIR",
        "certs",
        "harness CA and server certificate (generated on first start)",
        _path,
    ),
    Setting(
        "TLSAUTH_MAX_BODY_BYTES",
        "MAX_BODY_BYTES",
        str(50 * 1024 * 1024),
        "largest request body the mocks read, once the client is known (larger → 413)",
        _int,
    ),
    Setting(
        "TLSAUTH_MOSAPI_CONNECTIONS_PER_CERT",
        "MOSAPI_CONNECTIONS_PER_CERT",
        "4",
        "connections one client certificate may hold open to the MoSAPI mock, per process "
        "(more → 429); 0 = no cap",
        _int,
    ),
    Setting(
        "TLSAUTH_MOSAPI_LOGIN_FAILURES",
        "MOSAPI_LOGIN_FAILURES",
        "5 per minute",
        "failed MoSAPI logins allowed per TLD and source address (more → 429 with "
        "Retry-After); 0 = no limit",
        _rate_limit,
    ),
    Setting(
        "TLSAUTH_EXPLAIN_HEADER",
        "EXPLAIN_HEADER",
        "true",
        "false: no X-TLSAuth-Decision header, exactly like production",
        _bool,
    ),
    Setting(
        "TLSAUTH_DECISION_LOG_MAX_ROWS",
        "DECISION_LOG_MAX_ROWS",
        "100000",
        "decisions the log keeps, the newest; 0 = any number",
        _int,
    ),
    Setting(
        "TLSAUTH_DECISION_LOG_MAX_AGE_DAYS",
        "DECISION_LOG_MAX_AGE_DAYS",
        "30",
        "days a decision stays in the log; 0 = any age",
        _int,
    ),
    Setting(
        "TLSAUTH_DECISION_LOG_PRUNE_SECONDS",
        "DECISION_LOG_PRUNE_SECONDS",
        "60",
        "how often each mock process deletes what those two drop, off the request path "
        "(tlsauth decisions prune does it at once); 0 = never",
        _int,
    ),
    Setting(
        "TLSAUTH_TLSA_SOURCE",
        "TLSA_SOURCE",
        "harness",
        "harness (the portal's test zone) or dns (live, DNSSEC-validated)",
    ),
    Setting(
        "TLSAUTH_DNS_RESOLVER",
        "DNS_RESOLVER",
        "127.0.0.1:53",
        "validating resolver for the dns source (host[:port], [v6]:port)",
    ),
    Setting(
        "TLSAUTH_BULK_NOTICE_DAYS",
        "BULK_NOTICE_DAYS",
        "7",
        "days a registry operator has to object to an RSP's bulk change before it loads",
        _int,
    ),
    Setting(
        "TLSAUTH_BULK_MAX_BYTES",
        "BULK_MAX_BYTES",
        str(10 * 1024 * 1024),
        "largest RSP bulk file accepted, in bytes",
        _int,
    ),
    Setting(
        "TLSAUTH_PORTAL_URL",
        "PORTAL_URL",
        "",
        "the portal's address as users reach it, for links in emails",
        shown_default="http://PORTAL_HOST:PORTAL_PORT",
    ),
    Setting(
        "TLSAUTH_SMTP_HOST",
        "SMTP_HOST",
        "",
        "SMTP server for the email outbox; empty: emails are only recorded (Outbox page)",
    ),
    Setting("TLSAUTH_SMTP_PORT", "SMTP_PORT", "587", "SMTP port", _int),
    Setting(
        "TLSAUTH_SMTP_SECURITY",
        "SMTP_SECURITY",
        "starttls",
        "starttls, tls (implicit TLS) or none",
        _lower,
    ),
    Setting("TLSAUTH_SMTP_USERNAME", "SMTP_USERNAME", "", "SMTP login; empty: none"),
    Setting("TLSAUTH_SMTP_PASSWORD", "SMTP_PASSWORD", "", "SMTP password"),
    Setting("TLSAUTH_MAIL_FROM", "MAIL_FROM", "tlsauth@localhost", "sender of the emails"),
    Setting(
        "TLSAUTH_TEST_MODE",
        "TEST_MODE",
        "false",
        "true enables POST /api/v1/harness/seed and /reset for ICANN staff tokens; "
        "never in production",
        _bool,
    ),
    Setting(
        "TLSAUTH_TRUSTED_PROXIES",
        "TRUSTED_PROXIES",
        "",
        "comma-separated prefixes whose X-Forwarded-For the mocks believe",
    ),
)


def setting(env: str) -> Setting:
    return next(s for s in SETTINGS if s.env == env)


def from_environment() -> dict[str, Any]:
    """The app config of every setting, read from the environment now."""
    return {s.key: s.read() for s in SETTINGS}


def certs_dir() -> Path:
    return Path(setting("TLSAUTH_CERTS_DIR").read())


def limits(config: Mapping[str, Any]) -> Limits:
    """The per-TLD and per-entry ceilings an app config sets (TLSAUTH_MAX_*)."""
    return Limits(config["MAX_ENTRIES_PER_TLD"], config["MAX_PREFIXES_PER_ENTRY"])
