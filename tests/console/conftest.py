"""Fixtures and helpers for the console's tests (this folder): the real app with an admin token and a CRM
that is never called, signed in through the real sign-in form."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from redis import Redis
from sqlalchemy import Engine

from connector.config.settings import Settings
from connector.config.yaml_config import Config
from connector.jobs.runtime import Runtime, install
from connector.jobs.work_queue import RedisWorkQueue
from connector.store.db import make_sessionmaker

ADMIN_TOKEN = "console-admin-token"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def console_settings(database_url: str, redis_url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": database_url,
        "redis_url": redis_url,
        "admin_token": ADMIN_TOKEN,
        "crm": "hubspot",
        "hubspot_access_token": "never-used",
        "hubspot_base_url": "http://127.0.0.1:9",
        "zendesk_webhook_secret": "zendesk-secret",
    }
    return Settings(**(values | overrides))


@pytest.fixture
def console_runtime(database_url: str, redis_url: str, engine: Engine, redis_client: Redis) -> Iterator[Runtime]:
    rt = Runtime(console_settings(database_url, redis_url), Config(), engine, make_sessionmaker(engine),
                 RedisWorkQueue(redis_client), redis_client)  # fmt: skip
    install(rt)
    yield rt
    install(None)


@pytest.fixture
def console_app(console_runtime: Runtime) -> Flask:
    from webhooks.app import create_app

    return create_app(console_runtime)


@pytest.fixture
def console(console_app: Flask) -> FlaskClient:
    return console_app.test_client()


def csrf_token(html: str) -> str:
    match = CSRF.search(html)
    assert match, "no CSRF token on the page"
    return match.group(1)


def sign_in(client: FlaskClient, token: str = ADMIN_TOKEN) -> Any:
    page = client.get("/console/sign-in")
    return client.post("/console/sign-in", data={"token": token, "csrf_token": csrf_token(page.text)})


def post_form(client: FlaskClient, page: str, action: str, **fields: str) -> Any:
    """POST a console form the way a browser would: with the CSRF token from `page`."""
    token = csrf_token(client.get(page).text)
    return client.post(action, data={"csrf_token": token, **fields})
