"""The console in a real browser: Debian's Chromium driven by Playwright, elements found by role and name.

One seeded and one empty SQLite database, each served by the real app on a loopback port; every page
is screenshotted into artifacts/console/ (not committed). Skipped when Chromium is not installed.
"""

from __future__ import annotations

import re
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from redis import Redis
from werkzeug.serving import make_server

from connector.config.yaml_config import Config
from connector.console.users import add_user
from connector.jobs.runtime import Runtime
from connector.jobs.work_queue import RedisWorkQueue
from connector.store.db import make_engine, make_sessionmaker, upgrade
from tests.conftest import REDIS_BASE_URL, _worker_index
from tests.console.conftest import ADMIN_TOKEN, console_settings
from tests.console.console_seed import STORY, STORY_INTERVENTIONS_IN_90_DAYS, STORY_OUTCOMES_IN_90_DAYS, seed

pytestmark = pytest.mark.integration
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]  # fmt: skip
SHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "console"
PAGES = {"Accounts": "Accounts", "Playbook and outcomes": "Playbook and outcomes", "Integrations": "Integrations",
         "Config": "Config", "Activity": "Activity"}  # fmt: skip

REDIS_URL = f"{REDIS_BASE_URL}/{15 - _worker_index() % 15}"
"""The scratch database the suite's `redis_url` fixture gives this worker."""

if not Path(CHROMIUM).exists() or shutil.which("chromium") is None:  # pragma: no cover
    pytest.skip("Debian's chromium is not installed (apt-get install -y chromium)", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api")


class Served:
    """The app over one database, on a loopback port."""

    def __init__(self, url: str, redis: Redis, seeded: bool) -> None:
        engine = make_engine(url)
        upgrade(engine)
        self.runtime = Runtime(console_settings(url, REDIS_URL), Config(), engine, make_sessionmaker(engine),
                               RedisWorkQueue(redis, "console-browser"), redis)  # fmt: skip
        if seeded:
            seed(self.runtime.sessions, accounts=60)
        with self.runtime.sessions.begin() as session:
            self.viewer_token = add_user(session, "vera", "viewer")
        from webhooks.app import create_app

        self.server = make_server("127.0.0.1", 0, create_app(self.runtime), threaded=True)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.base = f"http://127.0.0.1:{self.server.server_port}"

    def stop(self) -> None:
        self.server.shutdown()
        self.thread.join(timeout=5)
        self.runtime.engine.dispose()


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Served]]:
    redis = Redis.from_url(REDIS_URL)
    folder = tmp_path_factory.mktemp("console-browser")
    served = {
        "data": Served(f"sqlite:///{folder / 'data.db'}", redis, seeded=True),
        "empty": Served(f"sqlite:///{folder / 'empty.db'}", redis, seeded=False),
    }
    yield served
    for server in served.values():
        server.stop()
    redis.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


def sign_in(page: Any, served: Served, token: str = ADMIN_TOKEN) -> None:
    page.goto(served.base + "/console/accounts")
    page.get_by_label("Access token").fill(token)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Accounts", level=1).wait_for()


def shot(page: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def table_rows(page: Any) -> list[str]:
    table = page.get_by_role("table", name=re.compile("^Accounts, sorted by"))
    return table.get_by_role("rowheader").all_inner_texts()


def test_an_admin_signs_in_and_out(page, servers):
    served = servers["data"]
    page.goto(served.base + "/console/outcomes")
    page.get_by_role("heading", name="Sign in to the healthloop console").wait_for()
    shot(page, "sign-in")
    page.get_by_label("Access token").fill("wrong")
    page.get_by_role("button", name="Sign in").click()
    assert page.get_by_role("alert").inner_text().startswith("That token is not valid")
    page.get_by_label("Access token").fill(ADMIN_TOKEN)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Playbook and outcomes", level=1).wait_for()  # back where it was going
    page.get_by_role("button", name="Sign out").click()
    page.get_by_role("heading", name="Sign in to the healthloop console").wait_for()
    page.goto(served.base + "/console/accounts")
    assert page.get_by_role("button", name="Sign in").is_visible()


@pytest.mark.parametrize("database", ["data", "empty"])
def test_every_page_renders_and_is_screenshotted(page, servers, database):
    served = servers[database]
    sign_in(page, served)
    for link, heading in PAGES.items():
        page.get_by_role("navigation", name="Console").get_by_role("link", name=link, exact=True).click()
        page.get_by_role("heading", name=heading, level=1).wait_for()
        shot(page, f"{heading.lower().replace(' ', '-')}-{database}")
    if database == "data":
        page.goto(f"{served.base}/console/accounts/{STORY}")
        page.get_by_role("heading", name=re.compile("^Story Inc"), level=1).wait_for()
        shot(page, "account-data")
    else:
        page.goto(served.base + "/console/accounts")
        assert "No accounts yet" in page.get_by_role("main").inner_text()


def test_filters_sort_search_and_pages_change_what_is_shown(page, servers):
    sign_in(page, servers["data"])
    assert page.get_by_role("status").inner_text() == "61 accounts match."
    assert len(table_rows(page)) == 50
    page.get_by_role("link", name="Next page").click()
    assert len(table_rows(page)) == 11 and page.get_by_text("Page 2 of 2").is_visible()
    page.get_by_label("Tier").select_option(label="Critical")
    page.get_by_role("button", name="Apply").click()
    critical = table_rows(page)
    assert 0 < len(critical) < 61
    assert page.get_by_role("status").inner_text() == f"{len(critical)} accounts match."
    page.get_by_label("Search").fill("company 00")
    page.get_by_role("button", name="Apply").click()
    assert all("Company 00" in row for row in table_rows(page))
    page.get_by_role("link", name="Clear filters").click()
    page.get_by_role("columnheader", name="Revenue at risk").get_by_role("link").click()
    first = page.get_by_role("table", name=re.compile("revenue at risk")).get_by_role("row").nth(1)
    assert first.get_by_role("cell").last.inner_text() != "0"
    page.get_by_role("columnheader", name="Account").get_by_role("link").click()
    names = table_rows(page)
    assert names == sorted(names, key=str.lower)


def test_the_account_chart_has_a_point_per_day_and_a_marker_per_intervention_and_outcome(page, servers):
    served = servers["data"]
    sign_in(page, served)
    page.get_by_label("Search").fill("Story")
    page.get_by_role("button", name="Apply").click()
    page.get_by_role("link", name="Story Inc").click()
    chart = page.get_by_role("img", name=re.compile("^Score history"))
    assert chart.locator("[data-kind=point]").count() == 90
    assert chart.locator("[data-kind=intervention]").count() == STORY_INTERVENTIONS_IN_90_DAYS
    assert chart.locator("[data-kind=outcome]").count() == STORY_OUTCOMES_IN_90_DAYS
    page.get_by_role("link", name="365 days").click()
    assert page.get_by_role("img", name=re.compile("^Score history")).locator("[data-kind=point]").count() == 120


def test_a_viewer_is_refused_an_action(page, servers):
    served = servers["data"]
    sign_in(page, served, served.viewer_token)
    page.get_by_role("link", name="Integrations", exact=True).click()
    assert page.get_by_role("button", name=re.compile("Retry .* now")).count() == 0
    assert page.get_by_role("button", name="Check the mapping now").count() == 0
    token = page.locator("input[name=csrf_token]").first.get_attribute("value")
    refused = page.request.post(f"{served.base}/console/integrations/crm/retry/acct_003", form={"csrf_token": token})
    assert refused.status == 403 and "Only admins" in refused.text()
    page.get_by_role("link", name="Config", exact=True).click()
    assert page.get_by_role("button", name="Check this YAML").count() == 0


def test_csrf_is_enforced_on_every_post(page, servers):
    served = servers["data"]
    sign_in(page, served)
    without = page.request.post(f"{served.base}/console/integrations/crm/retry/acct_003", form={})
    forged = page.request.post(f"{served.base}/console/sign-out", form={"csrf_token": "forged"})
    assert without.status == forged.status == 400
    page.get_by_role("link", name="Integrations", exact=True).click()
    page.get_by_role("button", name="Retry acct_003 now").click()
    assert page.get_by_role("status").first.inner_text() == "Sync of acct_003 requested."


def test_the_accounts_table_works_with_the_keyboard(page, servers):
    sign_in(page, servers["data"])
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to content"
    links = (
        page.get_by_role("table", name=re.compile("^Accounts, sorted by")).get_by_role("rowheader").get_by_role("link")
    )
    links.first.focus()
    page.keyboard.press("ArrowDown")
    assert page.evaluate("document.activeElement.textContent") == links.nth(1).inner_text()
    page.keyboard.press("End")
    assert page.evaluate("document.activeElement.textContent") == links.last.inner_text()
    page.keyboard.press("ArrowUp")
    target = links.nth(48).inner_text()
    assert page.evaluate("document.activeElement.textContent") == target
    page.keyboard.press("Enter")
    page.get_by_role("heading", name=re.compile(f"^{re.escape(target)}"), level=1).wait_for()
