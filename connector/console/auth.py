"""Sign-in, sign-out and who may do what: a signed session cookie, CSRF on every POST, admins only for actions.

A session holds the user's id and name (or, for the admin token, a fingerprint of it), re-checked on
every request: removing a user or changing the admin token ends their sessions at once. Sign-ins
last `HEALTHLOOP_CONSOLE_SESSION_HOURS` from the moment of sign-in, however active the session.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import wraps
from typing import Any, TypeVar, cast

from flask import g, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_wtf.csrf import CSRFError, CSRFProtect
from werkzeug.exceptions import HTTPException

from connector.console import audit
from connector.console.blueprint import bp, runtime
from connector.console.users import ADMIN_NAME, Identity, identify, still_valid
from connector.store.models import ConsoleUser

csrf = CSRFProtect()
PUBLIC_ENDPOINTS = {"console.sign_in", "console.static"}
SIGN_IN_ATTEMPTS = 10
SIGN_IN_WINDOW = timedelta(minutes=10)
"""After this many wrong tokens from one address within the window, sign-ins from it wait (a chosen admin
token may be guessable; issued tokens are not)."""
F = TypeVar("F", bound=Callable[..., ResponseReturnValue])


def _admin_token() -> str | None:
    token = runtime().settings.admin_token
    return token.get_secret_value() if token is not None and token.get_secret_value() else None


def _fingerprint(secret: str) -> str:
    return hashlib.sha256(b"healthloop-console-admin\x1f" + secret.encode()).hexdigest()[:16]


def current() -> Identity | None:
    identity: Identity | None = g.get("identity")
    return identity


def log_action(action: str, outcome: str = "ok", target: str | None = None, **detail: Any) -> None:
    """Record an action of whoever is signed in (or `-`)."""
    who = current()
    audit.record(
        runtime().sessions,
        actor=who.name if who else "-",
        role=who.role if who else None,
        action=action,
        outcome=outcome,
        target=target,
        detail=detail,
        remote_addr=request.remote_addr,
    )


def _identity_from_session() -> Identity | None:
    who = session.get("who")
    if not isinstance(who, dict):
        return None
    hours = runtime().settings.console_session_hours
    if time.time() - float(who.get("at", 0)) > hours * 3600:
        return None
    if who.get("name") == ADMIN_NAME and who.get("uid") is None:
        token = _admin_token()
        return Identity(ADMIN_NAME, "admin", None) if token and who.get("fp") == _fingerprint(token) else None
    with runtime().readers() as reading:
        return still_valid(reading, who.get("uid"), str(who.get("name")))


@bp.before_request
def _guard() -> ResponseReturnValue | None:
    if request.endpoint == "console.static":
        return None
    g.identity = _identity_from_session()
    if g.identity is None and "who" in session:
        session.clear()
    if request.method == "POST":
        csrf.protect()
    if request.endpoint not in PUBLIC_ENDPOINTS and g.identity is None:
        return redirect(url_for("console.sign_in", next=request.full_path.rstrip("?")))
    return None


@bp.after_request
def _headers(response: Any) -> Any:
    response.headers["Content-Security-Policy"] = (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    if request.endpoint != "console.static":
        response.headers["Cache-Control"] = "no-store"
    return response


@bp.errorhandler(HTTPException)
def _http_error(exc: HTTPException) -> ResponseReturnValue:
    title = {403: "Not allowed", 404: "Not found"}.get(exc.code or 500, exc.name)
    return render_template("console/error.html", title=title, message=exc.description), exc.code or 500


@bp.errorhandler(CSRFError)
def _csrf_refused(exc: CSRFError) -> ResponseReturnValue:
    log_action("form_post", outcome="refused", target=request.path, reason=exc.description)
    message = "This form was not sent from a console page of this session (or the session ended): reload and retry."
    return render_template("console/error.html", title="Form refused", message=message), 400


def admin_required(action: str) -> Callable[[F], F]:
    """Only admins may run the view; a viewer's attempt is refused (403) and logged."""

    def decorate(view: F) -> F:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> ResponseReturnValue:
            who = current()
            if who is None or not who.is_admin:
                log_action(action, outcome="refused", target=kwargs.get("account_id"), reason="viewer")
                message = f"Only admins may do this ({action.replace('_', ' ')}); you are signed in as a viewer."
                return render_template("console/error.html", title="Not allowed", message=message), 403
            return view(*args, **kwargs)

        return cast(F, wrapper)

    return decorate


def _safe_next(target: str | None) -> str:
    if target and target.startswith("/console") and not target.startswith("//"):
        return target
    return url_for("console.accounts")


@bp.route("/sign-in", methods=["GET", "POST"])
def sign_in() -> ResponseReturnValue:
    closed = runtime().settings.console_secret_key is None and _admin_token() is None
    if closed:
        return render_template("console/sign_in.html", closed=True), 503
    if request.method == "GET":
        if current() is not None:
            return redirect(_safe_next(request.args.get("next")))
        return render_template("console/sign_in.html", next=request.args.get("next", ""))
    with runtime().readers() as reading:
        window = datetime.now(UTC) - SIGN_IN_WINDOW
        if audit.refusals_since(reading, "sign_in", request.remote_addr, window) >= SIGN_IN_ATTEMPTS:
            log_action("sign_in", outcome="throttled")
            error = f"Too many wrong tokens from this address: wait {SIGN_IN_WINDOW.seconds // 60} minutes."
            return render_template("console/sign_in.html", error=error, next=request.form.get("next", "")), 429
        who = identify(reading, request.form.get("token", ""), _admin_token())
    if who is None:
        log_action("sign_in", outcome="refused")
        error = "That token is not valid here. Ask an admin for one (`healthloop users add NAME`)."
        return render_template("console/sign_in.html", error=error, next=request.form.get("next", "")), 401
    session.clear()
    session.permanent = True
    session["who"] = {"name": who.name, "uid": who.user_id, "at": time.time()}
    if who.user_id is None:
        session["who"]["fp"] = _fingerprint(cast(str, _admin_token()))
    g.identity = who
    if who.user_id is not None:
        with runtime().sessions.begin() as writing:
            user = writing.get(ConsoleUser, who.user_id)
            if user is not None:
                user.last_sign_in_at = datetime.now(UTC)
    log_action("sign_in")
    return redirect(_safe_next(request.form.get("next")))


@bp.post("/sign-out")
def sign_out() -> ResponseReturnValue:
    log_action("sign_out")
    session.clear()
    return redirect(url_for("console.sign_in"))


@bp.app_context_processor
def _identity() -> dict[str, Any]:
    return {"identity": current()} if request.blueprint == "console" else {}
