"""Log in and log out."""

from __future__ import annotations

from typing import Any

from flask import abort, redirect, render_template, request, url_for

from compliance.services.users import authenticate_user
from web.dashboard.auth import current_user, safe_next, sign_in, sign_out
from web.dashboard.blueprint import bp
from web.dashboard.forms import ActionForm, LoginForm
from web.dashboard.redirects import same_site_path
from web.dashboard.security import LOGIN_LIMITS
from web.dashboard.state import db, state


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    """The log-in form; rate-limited per client address and per account."""
    form = LoginForm()
    if request.method == "GET":
        if current_user() is not None:
            return redirect(safe_next(request.args.get("next")))
        form.next.data = same_site_path(request.args.get("next")) or ""
        return render_template("dashboard/login.html", form=form, error=None)
    rate = state().rate
    address = request.remote_addr or "unknown"
    rate.enforce(
        LOGIN_LIMITS[0], "login-ip", address, message="Too many log-in attempts from this address; wait a minute."
    )
    error = None
    if form.validate_on_submit():
        email = (form.email.data or "").strip().lower()
        rate.enforce(
            LOGIN_LIMITS[1], "login-account", email, message="Too many log-in attempts for this account; wait a while."
        )
        session = db()
        user = authenticate_user(session, email=email, password=form.password.data or "")
        if user is not None:
            session.commit()
            sign_in(user)
            return redirect(safe_next(form.next.data))
        error = "E-mail or password is wrong, or the account is disabled."
    elif form.errors.get("csrf_token"):
        error = "The form expired; please try again."
    else:
        error = "Enter your e-mail and password."
    return render_template("dashboard/login.html", form=form, error=error), 400 if error else 200


@bp.route("/logout", methods=["POST"])
def logout() -> Any:
    """End every session of the account (a POST with a CSRF token, so no other site can log you out)."""
    if not ActionForm().validate_on_submit():
        abort(400, "The form expired; please try again.")
    sign_out()
    return redirect(url_for("dashboard.login"))
