from __future__ import annotations

from urllib.parse import urlsplit

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user
from werkzeug.wrappers import Response

from infra.database import db

from ..extensions import limiter
from ..services.directory import authenticate, normalise_email
from . import bp
from .forms import LoginForm


def _login_limit() -> str:
    return current_app.config["LOGIN_LIMIT"]


def _account_key() -> str:
    return "account:" + normalise_email(request.form.get("email", ""))


def _failed(response: Response) -> bool:
    return response.status_code == 401


def _safe_next(target: str | None) -> str:
    """Only same-site paths: an open redirect after login would be a phishing aid."""
    if target:
        parts = urlsplit(target)
        if (
            not parts.scheme
            and not parts.netloc
            and target.startswith("/")
            and not target.startswith("//")
        ):
            return target
    return url_for("tlds.index")


def render_login(error: str | None = None, status: int = 200, form: LoginForm | None = None):
    form = form or LoginForm()
    return render_template("auth/login.html", form=form, error=error), status


@bp.route("/")
def home() -> Response:
    return redirect(
        url_for("tlds.index") if current_user.is_authenticated else url_for("auth.login")
    )


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"], deduct_when=_failed)
@limiter.limit(_login_limit, key_func=_account_key, methods=["POST"], deduct_when=_failed)
def login():
    if current_user.is_authenticated and request.method == "GET":
        return redirect(url_for("tlds.index"))
    form = LoginForm()
    if form.validate_on_submit():
        user = authenticate(db.session, form.email.data or "", form.password.data or "")
        if user is None:
            return render_login("Wrong email or password.", 401, form)
        session.clear()  # no session fixation: a fresh session for the signed-in user
        login_user(user)
        return redirect(_safe_next(request.args.get("next")))
    if request.method == "POST":
        return render_login("Enter your email and password.", 400, form)
    return render_login(form=form)


@bp.route("/logout", methods=["POST"])
@login_required
def logout() -> Response:
    logout_user()
    session.clear()
    flash("You are signed out.")
    return redirect(url_for("auth.login"))
