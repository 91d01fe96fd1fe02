"""How a client gets a session: the OAuth token endpoint (password, JWT bearer and refresh-token grants)
and the partner SOAP API's `login` call. Guarded like every Salesforce route, except that no session is
needed; errors are the token endpoint's `{error, error_description}`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from typing import Any
from xml.etree import ElementTree

import jwt
from flask import Response, request

from crm_adapters.sandbox.http_json import respond
from crm_adapters.sandbox.salesforce.errors import OAuthError
from crm_adapters.sandbox.salesforce.http import guarded_blueprint, instance_url, org
from crm_adapters.sandbox.salesforce.ids import ORG_ID

bp = guarded_blueprint("salesforce_oauth", __name__, sessions=False)
JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"


@bp.post("/services/oauth2/token")
def oauth_token() -> Response:
    form, credentials = request.form, org().credentials
    grant = form.get("grant_type", "")
    if grant == "password":
        _check_client(form.get("client_id"), form.get("client_secret"), required=True)
        expected = credentials.password + credentials.security_token
        if form.get("username") != credentials.username or form.get("password") != expected:
            raise OAuthError("invalid_grant", "authentication failure")
    elif grant == JWT_BEARER:
        _check_assertion(form.get("assertion", ""))
    elif grant == "refresh_token":
        _check_client(form.get("client_id"), form.get("client_secret"), required=False)
        if form.get("refresh_token") != credentials.refresh_token:
            raise OAuthError("invalid_grant", "expired access/refresh token")
    else:
        raise OAuthError("unsupported_grant_type", "grant type not supported")
    issued_at = str(int(time.time() * 1000))
    identity = f"{instance_url()}/id/{ORG_ID}/{org().integration_user_id}"
    digest = hmac.new(credentials.consumer_secret.encode(), (identity + issued_at).encode(), hashlib.sha256).digest()
    return respond(
        {
            "access_token": org().access.issue_session(),
            "instance_url": instance_url(),
            "id": identity,
            "token_type": "Bearer",
            "issued_at": issued_at,
            "signature": base64.b64encode(digest).decode(),
        }
    )


_SOAP_ENVELOPE = "http://schemas.xmlsoap.org/soap/envelope/"
_PARTNER = "urn:partner.soap.sforce.com"


@bp.post("/services/Soap/u/<version>")
def soap_login(version: str) -> Response:
    """The partner API `login` call: username + password + security token, no connected app."""
    credentials = org().credentials
    try:
        root = ElementTree.fromstring(request.get_data())
    except ElementTree.ParseError:
        return _soap_fault("soapenv:Client", "Unable to parse the request XML", 500)
    username = root.findtext(f".//{{{_PARTNER}}}username") or ""
    password = root.findtext(f".//{{{_PARTNER}}}password") or ""
    if username != credentials.username or password != credentials.password + credentials.security_token:
        return _soap_fault(
            "sf:INVALID_LOGIN", "INVALID_LOGIN: Invalid username, password, security token; or user locked out.", 500
        )
    session = org().access.issue_session()
    server_url = f"{instance_url()}/services/Soap/u/{version}/{ORG_ID[:15]}"
    body = (
        f'<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="{_SOAP_ENVELOPE}" '
        f'xmlns="{_PARTNER}"><soapenv:Body><loginResponse><result>'
        f"<metadataServerUrl>{instance_url()}/services/Soap/m/{version}/{ORG_ID[:15]}</metadataServerUrl>"
        f"<passwordExpired>false</passwordExpired><sandbox>false</sandbox><serverUrl>{server_url}</serverUrl>"
        f"<sessionId>{session}</sessionId><userId>{org().integration_user_id}</userId>"
        "</result></loginResponse></soapenv:Body></soapenv:Envelope>"
    )
    return Response(body, status=200, content_type="text/xml; charset=utf-8")


def _soap_fault(code: str, message: str, status: int) -> Response:
    body = (
        f'<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="{_SOAP_ENVELOPE}" '
        f'xmlns:sf="urn:fault.partner.soap.sforce.com"><soapenv:Body><soapenv:Fault><faultcode>{code}</faultcode>'
        f"<faultstring>{message}</faultstring></soapenv:Fault></soapenv:Body></soapenv:Envelope>"
    )
    return Response(body, status=status, content_type="text/xml; charset=utf-8")


def _check_client(client_id: str | None, client_secret: str | None, *, required: bool) -> None:
    credentials = org().credentials
    if client_id != credentials.consumer_key:
        raise OAuthError("invalid_client_id", "client identifier invalid")
    if (required or client_secret is not None) and client_secret != credentials.consumer_secret:
        raise OAuthError("invalid_client", "invalid client credentials")


def _check_assertion(assertion: str) -> None:
    """RS256 JWT: iss = consumer key, sub = username, aud = a login URL, exp in the future."""
    credentials = org().credentials
    if not credentials.jwt_public_key:
        raise OAuthError("invalid_grant", "invalid assertion: no certificate is registered for JWT bearer grants")
    try:
        claims = jwt.decode(
            assertion,
            credentials.jwt_public_key,
            algorithms=["RS256"],
            options={"verify_exp": False, "verify_aud": False},
        )
    except jwt.PyJWTError:
        raise OAuthError("invalid_grant", "invalid assertion") from None
    if claims.get("iss") != credentials.consumer_key:
        raise OAuthError("invalid_client_id", "client identifier invalid")
    if claims.get("sub") != credentials.username:
        raise OAuthError("invalid_grant", "user hasn't approved this consumer")
    audiences = {"https://login.salesforce.com", "https://test.salesforce.com", instance_url(), request.host_url}
    audience = claims.get("aud")
    if not any(str(a).rstrip("/") in {x.rstrip("/") for x in audiences} for a in _as_list(audience)):
        raise OAuthError("invalid_grant", "audience is invalid")
    try:
        expires = float(claims["exp"])  # simple-salesforce sends exp as a string; Salesforce accepts both
    except (KeyError, TypeError, ValueError):
        raise OAuthError("invalid_grant", "invalid assertion") from None
    if expires < time.time():
        raise OAuthError("invalid_grant", "expired authorization code")


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]
