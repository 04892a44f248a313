"""API tokens page: create (shown once) and revoke the signed-in user's bearer tokens."""

from __future__ import annotations

from flask import abort, render_template
from flask_login import current_user, login_required

from infra.database import db

from ..services import tokens as token_service
from ..services.errors import NotFound
from . import bp
from .forms import RevokeForm, TokenForm


def _page(new_token: str | None = None, status: int = 200):
    return render_template(
        "tokens/index.html",
        tokens=token_service.list_tokens(db.session, current_user),
        form=TokenForm(formdata=None),
        revoke_form=RevokeForm(formdata=None),
        new_token=new_token,
    ), status


@bp.route("")
@login_required
def index():
    return _page()


@bp.route("", methods=["POST"])
@login_required
def create():
    form = TokenForm()
    if not form.validate():
        abort(400)
    _, token = token_service.create_token(db.session, current_user, form.name.data or "default")
    return _page(new_token=token, status=201)


@bp.route("/<int:token_id>/revoke", methods=["POST"])
@login_required
def revoke(token_id: int):
    if not RevokeForm().validate():
        abort(400)
    try:
        token_service.revoke_token(db.session, current_user, token_id)
    except NotFound:
        abort(404)
    return _page()
