"""Helpers shared by the tests: signing in, API tokens, CLI results, mock policy set-up."""

from __future__ import annotations

import re
from pathlib import Path

from sqlalchemy import select

from infra.database import db
from portal.core.tlsa import record_for
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
        zone.publish(db.session, user, {"name": name, **rec.as_dict()})


def last_decision(app) -> DecisionLogRow:
    with app.app_context():
        row = db.session.scalars(select(DecisionLogRow).order_by(DecisionLogRow.id.desc())).first()
        db.session.expunge(row)
        return row
