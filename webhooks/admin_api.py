"""`GET /api/accounts/<id>`: an account's health as JSON, for admins and scripts (bearer token)."""

from __future__ import annotations

import hmac
import logging

from flask import Blueprint, current_app, jsonify, request
from flask.typing import ResponseReturnValue

from connector.errors import AuthenticationError, InputError
from connector.health.accounts import account_summary
from connector.jobs.runtime import Runtime
from connector.store.db import make_sessionmaker, reader

log = logging.getLogger(__name__)
bp = Blueprint("admin_api", __name__, url_prefix="/api")


def require_admin(rt: Runtime) -> None:
    token = rt.settings.admin_token
    if token is None or not token.get_secret_value():
        log.warning("refused an admin API call: HEALTHLOOP_ADMIN_TOKEN is not set (fail closed)")
        raise AuthenticationError(
            "source_not_configured", "HEALTHLOOP_ADMIN_TOKEN is not set on this server, so the API is closed"
        )
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not given:
        raise AuthenticationError("missing_token", "send Authorization: Bearer <HEALTHLOOP_ADMIN_TOKEN>")
    if not hmac.compare_digest(given.strip().encode(), token.get_secret_value().encode()):
        raise AuthenticationError("invalid_token", "the bearer token is not the admin token")


@bp.get("/accounts/<account_id>")
def show_account(account_id: str) -> ResponseReturnValue:
    rt: Runtime = current_app.extensions["healthloop"]
    require_admin(rt)
    if "\x00" in account_id or len(account_id) > 255:
        raise InputError(
            "invalid_account_id", "the account id must be at most 255 characters, without NUL (%00)", status=400
        )
    with make_sessionmaker(reader(rt.engine))() as session:
        summary = account_summary(session, account_id)
    if summary is None:
        raise InputError("unknown_account", f"no account {account_id!r} has been stored", status=404)
    return jsonify(summary)
