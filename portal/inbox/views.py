"""Routes of the inbox and the outbox: each user's notifications, newest first, and for ICANN
staff the emails the portal sent or only recorded."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import abort, current_app, flash, g, redirect, url_for
from flask_login import current_user, login_required
from sqlalchemy import select
from werkzeug.wrappers import Response

from infra.database import db

from ..models import Notification, OrgKind
from ..services import notifications
from ..templating import fragment, is_htmx
from . import bp
from .forms import MarkReadForm, OpenForm

INBOX_LIMIT = 100
OUTBOX_LIMIT = 200


@bp.app_template_global("inbox_unread")
def inbox_unread() -> int:
    """The signed-in user's unread count for the header: one COUNT, once per request."""
    if not current_user.is_authenticated:
        return 0
    if "inbox_unread" not in g:
        g.inbox_unread = notifications.unread_count(db.session, current_user)
    return int(g.inbox_unread)


def local_path(link: str) -> str | None:
    """`link` if it is a path of this portal; None for anything that could leave it (another
    host, a scheme, `//host`, `/\\host`, control characters)."""
    if not link.startswith("/") or link.startswith(("//", "/\\")):
        return None
    if any(ord(c) < 0x20 or c == "\\" for c in link):
        return None
    parts = urlsplit(link)
    return link if not parts.scheme and not parts.netloc else None


def _list(status: int = 200) -> Response:
    notes = notifications.inbox(db.session, current_user, limit=INBOX_LIMIT)
    context = {
        "notes": notes,
        "limit": INBOX_LIMIT,
        "mark_form": MarkReadForm(formdata=None),
        "is_icann": current_user.organisation.kind == OrgKind.ICANN,
    }
    if is_htmx():
        return fragment("inbox/_list.html", status, oob_nav=True, **context)
    return fragment("inbox/index.html", status, **context)


@bp.route("/inbox")
@login_required
def index() -> Response:
    return _list()


@bp.route("/inbox/read", methods=["POST"])
@login_required
def mark_read() -> Response:
    form = MarkReadForm()
    if not form.validate() or (form.id.data is None and not form.all.data):
        abort(400)
    ids = None if form.all.data else [form.id.data]
    changed = notifications.mark_read(db.session, current_user, ids)
    g.pop("inbox_unread", None)
    if is_htmx():
        return _list()
    if form.all.data:
        flash(f"Marked {changed} message{'' if changed == 1 else 's'} read.")
    return redirect(url_for("inbox.index"), 303)


@bp.route("/inbox/<int:note_id>/open", methods=["POST"])
@login_required
def open_link(note_id: int) -> Response:
    """Mark the message read and go where it points (only within the portal)."""
    if not OpenForm().validate():
        abort(400)
    note = db.session.scalar(
        select(Notification).where(
            Notification.id == note_id, Notification.user_id == current_user.id
        )
    )
    if note is None:
        abort(404)
    notifications.mark_read(db.session, current_user, [note_id])
    return redirect(local_path(note.link or "") or url_for("inbox.index"), 303)


@bp.route("/outbox")
@login_required
def outbox() -> Response:
    if current_user.organisation.kind != OrgKind.ICANN:
        abort(404)
    smtp = notifications.Smtp.from_config(current_app.config)
    return fragment(
        "inbox/outbox.html",
        emails=notifications.outbox(db.session, limit=OUTBOX_LIMIT),
        smtp=smtp,
        limit=OUTBOX_LIMIT,
    )
