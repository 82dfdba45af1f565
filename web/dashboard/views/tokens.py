"""API tokens for CI: created here (shown once), listed, revoked. Admins only."""

from __future__ import annotations

from typing import Any

from flask import render_template

from compliance.errors import UsageError
from compliance.services.tokens import create_token, list_tokens, revoke_token
from web.dashboard.auth import current_user, requires
from web.dashboard.blueprint import bp
from web.dashboard.forms import ActionForm, TokenForm
from web.dashboard.state import db
from web.dashboard.views.common import revoke_and_redirect


def _render(form: TokenForm, *, error: str | None = None, created: str | None = None, code: int = 200) -> Any:
    rows = list_tokens(db(), include_revoked=True)
    return render_template(
        "dashboard/tokens.html", form=form, error=error, created=created, rows=rows, action=ActionForm()
    ), code


@bp.route("/tokens")
@requires("admin")
def tokens() -> Any:
    """Tokens and the form for a new one."""
    return _render(TokenForm())


@bp.route("/tokens", methods=["POST"])
@requires("admin")
def add_token() -> Any:
    """Create a token and show it once, in this response only (never in a cookie or a redirect)."""
    form = TokenForm()
    user = current_user()
    assert user is not None
    if not form.validate_on_submit():
        return _render(form, error="Please correct the fields marked below.", code=400)
    session = db()
    try:
        _row, plaintext = create_token(
            session, name=form.name.data or "", role=form.role.data or "", created_by=user.email
        )
    except UsageError as exc:
        session.rollback()
        return _render(form, error=exc.one_line(), code=400)
    session.commit()
    return _render(TokenForm(formdata=None), created=plaintext)


@bp.route("/tokens/<int:token_id>/revoke", methods=["POST"])
@requires("admin")
def revoke_token_view(token_id: int) -> Any:
    """Revoke a token; it stops working at once."""
    return revoke_and_redirect(revoke_token, token_id, "dashboard.tokens")
