"""The mapping check from the console against the local HubSpot sandbox: each row with its fix, every try logged."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from connector.config.yaml_config import Config
from connector.jobs.runtime import Runtime, install
from connector.jobs.work_queue import RedisWorkQueue
from connector.store.db import make_sessionmaker
from connector.store.models import ConsoleAction
from crm_adapters.sandbox import SandboxServer
from tests.console.conftest import console_settings, post_form, sign_in

pytestmark = pytest.mark.integration
TOKEN = "console-sandbox-token"


@pytest.mark.parametrize("token", [TOKEN, "a-revoked-token"])
def test_an_admin_checks_the_crm_mapping_and_sees_each_field_with_its_fix(
    database_url, redis_url, engine, redis_client, token
):
    with SandboxServer(TOKEN) as sandbox:
        settings = console_settings(database_url, redis_url, hubspot_access_token=token, hubspot_base_url=sandbox.url)
        rt = install(Runtime(settings, Config(), engine, make_sessionmaker(engine), RedisWorkQueue(redis_client),
                             redis_client))  # fmt: skip
        from webhooks.app import create_app

        client = create_app(rt).test_client()
        sign_in(client)
        response = post_form(client, "/console/integrations", "/console/integrations/crm/check")
        assert response.status_code == 302
        page = client.get("/console/integrations").text
        install(None)
    with make_sessionmaker(engine)() as session:
        logged = session.scalars(select(ConsoleAction).where(ConsoleAction.action == "crm_check")).one()
    if token == TOKEN:
        assert logged.outcome == "ok" and logged.detail["problems"] > 0  # nothing is provisioned in a new sandbox
        assert "Mapping check by admin" in page and "healthloop_score" in page and "crm provision" in page
    else:
        assert logged.outcome == "failed" and "could not reach the CRM" in page
        assert "a-revoked-token" not in page
