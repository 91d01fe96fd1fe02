"""Wire the console into the Flask app: blueprint, session cookie, CSRF, template helpers."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from datetime import timedelta

from flask import Flask, request
from flask.sessions import SecureCookieSessionInterface

from connector.config.settings import Settings
from connector.console.auth import csrf
from connector.console.blueprint import bp
from connector.jobs.runtime import Runtime


class _ConsoleSessions(SecureCookieSessionInterface):
    """The session cookie is Secure whenever the console is served over https (directly or per the public URL)."""

    def __init__(self, public_https: bool) -> None:
        self.public_https = public_https

    def get_cookie_secure(self, app: Flask) -> bool:
        return self.public_https or request.is_secure


def session_key(settings: Settings) -> str | None:
    """HEALTHLOOP_CONSOLE_SECRET_KEY, else a key derived from the admin token (never a constant); None: closed."""
    if settings.console_secret_key is not None and settings.console_secret_key.get_secret_value():
        return settings.console_secret_key.get_secret_value()
    if settings.admin_token is not None and settings.admin_token.get_secret_value():
        secret = settings.admin_token.get_secret_value().encode()
        return hmac.new(secret, b"healthloop console session key v1", hashlib.sha256).hexdigest()
    return None


def init_console(app: Flask, rt: Runtime, sources: Mapping[str, tuple[str, str]]) -> None:
    """Register the console under /console. `sources`: ticket source name -> (its secret's setting, its variable)."""
    from connector.console import views  # noqa: F401  (registers the pages on the blueprint)

    settings = rt.settings
    app.secret_key = session_key(settings)
    app.config.update(
        SESSION_COOKIE_NAME="healthloop_console",
        SESSION_COOKIE_PATH="/console",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        PERMANENT_SESSION_LIFETIME=timedelta(hours=settings.console_session_hours),
        WTF_CSRF_CHECK_DEFAULT=False,  # only the console's POSTs (the tracking API and webhooks have none)
        WTF_CSRF_TIME_LIMIT=None,  # valid for the session's life, which is bounded itself
        HEALTHLOOP_TICKET_SOURCES=dict(sources),
    )
    app.session_interface = _ConsoleSessions(bool(settings.public_url and settings.public_url.startswith("https")))
    csrf.init_app(app)
    app.register_blueprint(bp)
