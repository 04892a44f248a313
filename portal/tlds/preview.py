"""The preview under an entry's add and edit forms: whose access a save would change."""

from __future__ import annotations

from flask import abort, current_app
from flask_login import login_required
from werkzeug.wrappers import Response

from infra.config import limits

from ..services.access_preview import AccessPreview, preview_add, preview_update
from ..services.errors import NotFound
from ..templating import fragment
from . import bp
from .forms import AccessPreviewForm
from .views import load_tld


def _answer(preview: AccessPreview, edit: bool) -> Response:
    return fragment("tlds/_access_preview.html", preview=preview, edit=edit)


@bp.route("/<name>/entries/preview", methods=["POST"])
@login_required
def preview_new_entry(name: str) -> Response:
    tld = load_tld(name)
    form = AccessPreviewForm()
    if not form.validate():
        abort(400)
    preview = preview_add(
        tld,
        form.domain_name.data or "",
        form.roles.data or [],
        form.ip_acl.data or "",
        limits(current_app.config),
    )
    return _answer(preview, edit=False)


@bp.route("/<name>/entries/<int:entry_id>/preview", methods=["POST"])
@login_required
def preview_entry_edit(name: str, entry_id: int) -> Response:
    tld = load_tld(name)
    form = AccessPreviewForm()
    if not form.validate():
        abort(400)
    try:
        preview = preview_update(
            tld, entry_id, form.roles.data or [], form.ip_acl.data or "", limits(current_app.config)
        )
    except NotFound:
        abort(404)
    return _answer(preview, edit=True)
