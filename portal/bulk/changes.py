"""The answers to one TLD's part of a bulk upload: the registry operator accepts or objects,
ICANN staff load or cancel. Each form posts from the TLD page's banner (`back=tld`) or from the
upload's per-TLD table (`back=upload`); HTMX gets that place's fragment again, a browser without
JavaScript a redirect there with a flash. Who may do what is the service's rule."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import abort, current_app, flash, g, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from sqlalchemy import select
from werkzeug.wrappers import Response
from wtforms import HiddenField, IntegerField, TextAreaField
from wtforms.validators import InputRequired, Length

from infra.database import db

from ..core.diff import describe_changes
from ..models import OPEN_CHANGES, BulkTldChange, BulkUpload, ChangeStatus, OrgKind, Tld
from ..services import bulk_changes, bulk_uploads
from ..services.bulk_changes import MAX_NOTE
from ..services.errors import Conflict, Invalid, NotFound
from ..services.notifications import Smtp
from ..templating import fragment, is_htmx
from . import bp
from .delivery import deliver_in_background

BACK_TO = ("tld", "upload")


class AnswerForm(FlaskForm):
    """Where the answer was given, to show that place again."""

    back = HiddenField("back")


class AcceptForm(AnswerForm):
    """The version of the TLD the change's difference was shown against: accepting loads only
    over that configuration."""

    version = IntegerField("version", validators=[InputRequired()])


class NoteForm(AnswerForm):
    note = TextAreaField("Reason", validators=[Length(max=20 * MAX_NOTE)])


# --------------------------------------------------------------------------- what may be shown


@dataclass
class Answers:
    """What the signed-in user may do with one change, and the version an accept is made
    against (None: the difference shown was computed on another configuration, so accepting
    starts from the TLD's page, which shows the current one)."""

    accept: bool = False
    object: bool = False
    load: bool = False
    cancel: bool = False
    version: int | None = None

    @property
    def any(self) -> bool:
        return self.accept or self.object or self.load or self.cancel


def _answers(change: BulkTldChange, operator_id: int, version: int | None) -> Answers:
    if change.status not in OPEN_CHANGES:
        return Answers()
    org = current_user.organisation
    if org.kind == OrgKind.ICANN:
        return Answers(load=change.status == ChangeStatus.PENDING, cancel=True)
    if org.id == operator_id:
        return Answers(accept=True, object=True, version=version)
    return Answers()


def _tlds_of(upload_id: int) -> dict[int, tuple[int, int]]:
    """The upload's TLDs as id → (operator, version), read once per request."""
    cache: dict[int, dict[int, tuple[int, int]]] = g.setdefault("bulk_tlds", {})
    if upload_id not in cache:
        rows = db.session.execute(
            select(Tld.id, Tld.operator_id, Tld.version)
            .join(BulkTldChange, BulkTldChange.tld_id == Tld.id)
            .where(BulkTldChange.upload_id == upload_id)
        )
        cache[upload_id] = {tid: (op, version) for tid, op, version in rows}
    return cache[upload_id]


@bp.app_template_global("bulk_answers")
def bulk_answers(change: BulkTldChange) -> Answers:
    """For the upload's per-TLD table: the user's actions on `change`. The table shows the
    difference against the TLD as it was at the upload, so the row offers Accept only while the
    TLD is still at that version."""
    operator_id, version = _tlds_of(change.upload_id).get(change.tld_id, (0, -1))
    unmoved = change.status == ChangeStatus.PENDING and change.base_version == version
    return _answers(change, operator_id, version if unmoved else None)


@dataclass
class Banner:
    """The TLD page's notice of an open bulk change (its difference against the TLD's current
    entries), or of what became of it after an answer on the page."""

    tld: Tld
    change: BulkTldChange
    lines: list[str] = field(default_factory=list)
    answers: Answers = field(default_factory=Answers)
    message: str = ""
    error: str = ""
    conflict: Conflict | None = None
    reload_entries: bool = False  # the entries changed: the page fetches its table again

    @property
    def upload(self) -> BulkUpload:
        return self.change.upload

    @property
    def open(self) -> bool:
        return self.change.status in OPEN_CHANGES


def difference(tld: Tld, change: BulkTldChange) -> list[str]:
    """What loading the change would do to the TLD as it is now."""
    current = [e.as_dict() for e in tld.entries]
    return describe_changes({"entries": current}, {"entries": change.entries})


def _banner(tld: Tld, change: BulkTldChange, **extra: Any) -> Banner:
    return Banner(
        tld,
        change,
        lines=difference(tld, change),
        answers=_answers(change, tld.operator_id, tld.version),
        **extra,
    )


@bp.app_template_global("bulk_banner")
def bulk_banner(tld: Tld) -> Banner | None:
    """The TLD page's banner, when a bulk change waits for an answer."""
    change = bulk_uploads.open_change_for(db.session, tld)
    return _banner(tld, change) if change is not None else None


# --------------------------------------------------------------------------- answering

# An answer: does it, and may return a sentence that replaces the usual one.
Act = Callable[[BulkTldChange], str | None]


def _refused(message: str) -> Response:
    page = render_template("errors/error.html", code=403, title="Forbidden", message=message)
    return current_app.make_response((page, 403))


def _messages(exc: Invalid) -> str:
    return " ".join(f.message for f in exc.errors or exc.findings)


def _change(upload_id: int, tld_name: str) -> BulkTldChange:
    try:
        return bulk_changes.get_change(db.session, current_user, upload_id, tld_name)
    except NotFound:
        abort(404)


def _back() -> str:
    back = request.form.get("back", "")
    return back if back in BACK_TO else "tld"


def _back_url(change: BulkTldChange, back: str) -> str:
    if back == "upload":
        return url_for("bulk.upload_page", upload_id=change.upload_id)
    return url_for("tlds.detail", name=change.tld)


def _conflict_message(change: BulkTldChange, exc: Conflict) -> str:
    return (
        f"Nothing was loaded: .{change.tld} changed while you were looking (you saw version "
        f"{exc.expected_version}; it is now version {exc.current_version}). The difference is "
        "shown again against the current entries; accept again if you still want it."
    )


def _answer(upload_id: int, tld_name: str, form: AnswerForm, act: Act, done: str) -> Response:
    """Answer the change with `act` and show the place the form came from again."""
    change = _change(upload_id, tld_name)
    back = _back()
    tld = db.session.get(Tld, change.tld_id)
    if tld is None:
        abort(404)
    version_before = tld.version
    status, message, error, conflict = 200, "", "", None
    if not form.validate():
        status, error = 422, "The form is incomplete; reload the page."
    else:
        try:
            said = act(change)
        except bulk_uploads.Forbidden as exc:
            db.session.rollback()
            return _refused(_messages(exc))
        except Invalid as exc:
            db.session.rollback()
            status, error = 422, _messages(exc)
        except Conflict as exc:
            db.session.rollback()
            status, conflict, error = 409, exc, _conflict_message(change, exc)
        else:
            message = said or done.format(tld=change.tld, n=change.upload_id, version=tld.version)
            deliver_in_background()
    db.session.refresh(change)
    db.session.refresh(tld)
    if not is_htmx():
        flash(error or message)
        return redirect(_back_url(change, back), 303)
    if back == "upload" and status == 200:
        # The row's status, the counts and what the filter shows change with it: the upload's
        # page loads again, the sentence flashed at its top.
        flash(message)
        response = current_app.make_response(("", 200))
        response.headers["HX-Refresh"] = "true"
    elif back == "upload":
        if conflict is not None:
            answers, lines = _answers(change, tld.operator_id, tld.version), difference(tld, change)
        else:
            answers, lines = bulk_answers(change), None
        response = fragment(
            "bulk/_change_actions.html",
            status,
            change=change,
            upload=change.upload,
            change_answers=answers,
            actions_error=error,
            actions_lines=lines,
        )
    else:
        banner = _banner(
            tld,
            change,
            message=message,
            error=error,
            conflict=conflict,
            reload_entries=tld.version != version_before or conflict is not None,
        )
        response = fragment("tlds/_bulk_banner.html", status, tld=tld, banner=banner)
    return response


def _portal_url() -> str:
    return Smtp.from_config(current_app.config).portal_url


@bp.route("/uploads/<int:upload_id>/tlds/<tld>/accept", methods=["POST"])
@login_required
def change_accept(upload_id: int, tld: str) -> Response:
    form = AcceptForm()

    def act(change: BulkTldChange) -> None:
        bulk_changes.accept(
            db.session,
            current_user,
            change,
            expected_version=form.version.data,
            portal_url=_portal_url(),
        )

    return _answer(
        upload_id,
        tld,
        form,
        act,
        "Accepted: bulk upload #{n} is loaded; .{tld} is now at version {version}.",
    )


@bp.route("/uploads/<int:upload_id>/tlds/<tld>/object", methods=["POST"])
@login_required
def change_object(upload_id: int, tld: str) -> Response:
    form = NoteForm()

    def act(change: BulkTldChange) -> None:
        bulk_changes.object_to(
            db.session,
            current_user,
            change,
            note=form.note.data or "",
            channel="ui",
            portal_url=_portal_url(),
        )

    return _answer(
        upload_id,
        tld,
        form,
        act,
        "Objection sent: bulk upload #{n} will not load for .{tld}, and the RSP is told.",
    )


@bp.route("/uploads/<int:upload_id>/tlds/<tld>/load", methods=["POST"])
@login_required
def change_load(upload_id: int, tld: str) -> Response:
    form = AnswerForm()

    def act(change: BulkTldChange) -> str | None:
        bulk_changes.load_now(
            db.session, current_user, change, channel="ui", portal_url=_portal_url()
        )
        if change.status == ChangeStatus.CONFLICT:
            return (
                f"Not loaded: .{change.tld} changed after the upload was made, so the change is "
                "flagged as a conflict. Its registry operator can still accept it; both sides "
                "are told."
            )
        return None

    return _answer(
        upload_id,
        tld,
        form,
        act,
        "Loaded bulk upload #{n} for .{tld}: it is now at version {version}.",
    )


@bp.route("/uploads/<int:upload_id>/tlds/<tld>/cancel", methods=["POST"])
@login_required
def change_cancel(upload_id: int, tld: str) -> Response:
    form = NoteForm()

    def act(change: BulkTldChange) -> None:
        bulk_changes.cancel(
            db.session,
            current_user,
            change,
            note=form.note.data or "",
            channel="ui",
            portal_url=_portal_url(),
        )

    return _answer(
        upload_id,
        tld,
        form,
        act,
        "Cancelled bulk upload #{n} for .{tld}; the RSP and the registry operator are told.",
    )
