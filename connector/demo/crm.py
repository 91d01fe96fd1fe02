"""The demo's CRM side: a local sandbox (HubSpot or Salesforce), seeded with the book of business,
the RevOps choices a real install would make, and what a CSM then sees in the CRM.

One account is left out of the CRM on purpose, to show how a sync reports accounts without a record.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
from pydantic import SecretStr
from rich.console import Console

from connector.config.crm_section import CrmConfig, SequenceTarget
from connector.config.yaml_config import Config
from connector.crm.outcomes import pull_outcomes
from connector.crm.sync import CrmSync
from connector.demo.crm_view import show_hubspot, show_salesforce
from connector.demo.data import ACCOUNTS, DemoAccount
from connector.jobs.runtime import Runtime
from connector.measure.backtest import run_backtest
from connector.measure.report import build_report
from connector.measure.report_text import print_indicators, print_report
from crm_adapters.sandbox import SandboxServer

SANDBOX_TOKEN = "demo-sandbox-token"
SANDBOX_STATE = "healthloop-demo-sandbox.json"
UNMATCHED_ACCOUNT = "acct_wonka"
SALESFORCE_LOGIN = {
    "salesforce_username": "sandbox@example.com",
    "salesforce_password": SecretStr("sandbox-password"),
    "salesforce_security_token": SecretStr("sandbox-security-token"),
    "salesforce_consumer_key": "sandbox-consumer-key",
    "salesforce_consumer_secret": SecretStr("sandbox-consumer-secret"),
}


def _in_crm() -> list[DemoAccount]:
    return [a for a in ACCOUNTS if a.account_id != UNMATCHED_ACCOUNT]


def _renewal_day(account: DemoAccount, now: datetime) -> datetime:
    return (now + timedelta(days=30 + account.seats)).replace(hour=0, minute=0, second=0, microsecond=0)


class DemoCrm:
    """A started sandbox for one CRM: settings for it, seeding, config, and the printout."""

    name = "none"
    label = "none"

    def __init__(self) -> None:
        self.sandbox = SandboxServer(SANDBOX_TOKEN, tls=self.name == "salesforce").start()

    def settings(self) -> dict[str, Any]:
        raise NotImplementedError

    def config(self) -> Config:
        raise NotImplementedError

    def seed(self, now: datetime) -> int:
        """Create the CRM records (after provisioning: they carry the match field); returns how many accounts."""
        raise NotImplementedError

    def show(self, rt: Runtime, console: Console) -> None:
        raise NotImplementedError

    def url(self) -> str:
        return self.sandbox.url

    def second_sync(self, rt: Runtime, console: Console) -> None:
        """A second pass with nothing new: the diff finds nothing to write."""

        report = CrmSync(
            rt.sessions, rt.crm_adapter(), rt.config.crm, settings=rt.settings, rules=rt.config.scoring
        ).sync(None)
        unmatched = ", ".join(report.unmatched) or "none"
        console.print(
            f"sync again with nothing changed: {report.written} record(s) written, {report.unchanged} unchanged, "
            f"{report.usage.write_calls} write call(s), {report.usage.calls} call(s) in all; accounts without a "
            f"CRM record: {unmatched}"
        )
        counts = self.sandbox.request_counts()
        console.print(f"the sandbox answered {counts.get('total', 0)} {self.label} API requests in all")

    def stop(self) -> None:
        self.sandbox.stop()

    def simulate_outcomes(self, now: datetime) -> tuple[int, int, int]:
        """CSMs complete every other open task; the renewals of the three healthiest and the three
        weakest accounts close (won / lost). Returns (tasks completed, renewals won, renewals lost)."""
        raise NotImplementedError

    def measure(self, rt: Runtime, console: Console, now: datetime) -> None:
        """Simulate what CSMs and customers do next, read it back like the worker does, print the report."""

        completed, won, lost = self.simulate_outcomes(now)
        pulled = pull_outcomes(rt.sessions, rt.crm_adapter(), now)
        console.print(
            f"[bold]a while later[/bold]: CSMs completed {completed} task(s), {won} renewal(s) closed won and {lost} "
            f"lost in {self.label}; `healthloop outcomes pull` read back {pulled.tasks_completed} completed task(s) "
            f"and {pulled.renewals} renewal(s)"
        )
        with rt.sessions() as session:
            report = build_report(session, rt.config.scoring, now.date())
            replayed = run_backtest(session, rt.config.scoring, now.date() - timedelta(days=89), now.date(), None)
        print_report(report, console, ("all", "trigger"))
        console.print(
            "[bold]healthloop backtest[/bold] (the last 90 days replayed under the live rules; with this few renewals "
            "every interval is wide, which is the point):"
        )
        print_indicators(replayed, console)
        console.print(
            "recoveries are still pending (the 14-day windows have not elapsed): run `healthloop report` later, "
            "or `healthloop report --html report.html` for the charts"
        )
        saved = Path(SANDBOX_STATE)
        saved.write_bytes(orjson.dumps(self.state(), option=orjson.OPT_INDENT_2))
        console.print(
            f"the {self.label} sandbox's final state (what `healthloop sandbox dump` prints of a running sandbox) "
            f"is in {saved}: every task, note, field value and enrollment"
        )

    def state(self) -> dict[str, Any]:
        """The sandbox's state as its control API (`healthloop sandbox dump`) returns it."""
        raise NotImplementedError


class HubSpotDemo(DemoCrm):
    name = "hubspot"
    label = "HubSpot"

    def settings(self) -> dict[str, Any]:
        return {"crm": "hubspot", "hubspot_access_token": SANDBOX_TOKEN, "hubspot_base_url": self.sandbox.url}

    def config(self) -> Config:
        """Carla (VP) takes escalations; a sequence for email_sequence plays; syncs follow rescores at once."""
        state = self.sandbox.state.dump()
        vp = next(o for o in state["owners"] if o["email"].startswith("carla"))
        nudge = next(s for s in state["sequences"] if s["name"] == "Onboarding nudge")
        sender = self.sandbox.state.owner_by_user(str(nudge["userId"]))
        sequence = SequenceTarget(
            sequence_id=str(nudge["id"]), user_id=str(nudge["userId"]), sender_email=sender["email"] if sender else None
        )
        crm = CrmConfig(
            sync_delay_seconds=0,
            owners={"escalation": vp["id"], "executive": vp["id"]},
            sequences={"default": sequence},
        )
        return Config(crm=crm)

    def seed(self, now: datetime) -> int:
        owners = self.sandbox.state.dump()["owners"]
        companies, contacts, deals = [], [], []
        for index, account in enumerate(_in_crm()):
            owner = owners[index % 2]["id"]  # two CSMs share the book
            companies.append(
                {
                    "name": account.name,
                    "domain": account.domain,
                    "healthloop_account_id": account.account_id,
                    "hubspot_owner_id": owner,
                }
            )
            contacts.append(
                {
                    "properties": {
                        "email": f"champion@{account.domain}",
                        "firstname": "Champion",
                        "lastname": account.name,
                    },
                    "associate": {"companies": [index]},
                }
            )
            deals.append(
                {
                    "properties": {
                        "dealname": f"{account.name} renewal",
                        "dealtype": "existingbusiness",
                        "pipeline": "default",
                        "dealstage": "appointmentscheduled",
                        "amount": str(account.seats * 12 * 45),
                        "closedate": _renewal_day(account, now).isoformat(),
                        "hubspot_owner_id": owner,
                    },
                    "associate": {"companies": [index]},
                }
            )
        ids = self.sandbox.seed({"companies": companies, "contacts": contacts, "deals": deals})
        return len(ids["companies"])

    def show(self, rt: Runtime, console: Console) -> None:
        show_hubspot(self.sandbox, console)
        self.second_sync(rt, console)

    def state(self) -> dict[str, Any]:
        return self.sandbox.state.dump()

    def simulate_outcomes(self, now: datetime) -> tuple[int, int, int]:
        state = self.sandbox.state
        tasks = sorted(state.live_records("tasks"), key=lambda r: r.id)
        open_tasks = [t for t in tasks if t.properties.get("hs_task_status") != "COMPLETED"]
        for task in open_tasks[::2]:
            state.update(task, {"hs_task_status": "COMPLETED"}, trusted=True)
        companies = {c.id: c.properties for c in state.live_records("companies")}
        scores = {
            cid: float(p["healthloop_score"]) for cid, p in companies.items() if p.get("healthloop_score") is not None
        }
        winners, losers = _ranked_accounts(scores)
        closed = now.replace(hour=0, minute=0, second=0, microsecond=0).isoformat()
        for deal in state.live_records("deals"):
            linked = set(state.associated("deals", deal.id, "companies"))
            stage = "closedwon" if linked & set(winners) else "closedlost" if linked & set(losers) else None
            if stage:
                state.update(deal, {"dealstage": stage, "closedate": closed}, trusted=True)
        return len(open_tasks[::2]), len(winners), len(losers)


def _ranked_accounts(scores: dict[str, float]) -> tuple[list[str], list[str]]:
    """The three healthiest and the three weakest scored accounts."""
    ranked = sorted(scores, key=lambda account: scores[account])
    return ranked[-3:], ranked[:3]


class SalesforceDemo(DemoCrm):
    name = "salesforce"
    label = "Salesforce"

    def url(self) -> str:
        return self.sandbox.salesforce_url

    def settings(self) -> dict[str, Any]:
        return {
            "crm": "salesforce",
            "salesforce_login_url": self.sandbox.salesforce_url,
            "salesforce_ca_bundle": self.sandbox.ca_file,
            **SALESFORCE_LOGIN,
        }

    def _users(self) -> dict[str, dict[str, Any]]:
        return {u.get("FirstName") or "": u for u in self.sandbox.salesforce_state("User")["User"]}

    def config(self) -> Config:
        """Ana takes escalations; her cadence for email_sequence plays; syncs follow rescores at once."""
        ana = self._users()["Ana"]
        cadence = next(
            c
            for c in self.sandbox.salesforce_state("ActionCadence")["ActionCadence"]
            if c["Name"] == "Re-engagement: at risk"
        )
        crm = CrmConfig(
            sync_delay_seconds=0,
            owners={"escalation": ana["Id"], "executive": ana["Id"]},
            sequences={"default": SequenceTarget(sequence_id=cadence["Id"], user_id=ana["Id"])},
        )
        return Config(crm=crm)

    def seed(self, now: datetime) -> int:
        users = self._users()
        csms = [users["Ana"]["Id"], users["Ben"]["Id"]]
        accounts, contacts, opportunities = [], [], []
        for index, account in enumerate(_in_crm()):
            accounts.append(
                {
                    "Name": account.name,
                    "Website": f"https://www.{account.domain}",
                    "Healthloop_Account_Id__c": account.account_id,
                    "OwnerId": csms[index % 2],
                }
            )
            contacts.append(
                {
                    "FirstName": "Champion",
                    "LastName": account.name,
                    "Email": f"champion@{account.domain}",
                    "AccountIndex": index,
                }
            )
            opportunities.append(
                {
                    "Name": f"{account.name} renewal",
                    "StageName": "Negotiation/Review",
                    "CloseDate": _renewal_day(account, now).date().isoformat(),
                    "Amount": account.seats * 12 * 45,
                    "Type": "Existing Customer - Upgrade",
                    "AccountIndex": index,
                }
            )
        ids = self.sandbox.seed_salesforce({"accounts": accounts, "contacts": contacts, "opportunities": opportunities})
        return len(ids["accounts"])

    def show(self, rt: Runtime, console: Console) -> None:
        show_salesforce(self.sandbox, console)
        self.second_sync(rt, console)

    def state(self) -> dict[str, Any]:
        return self.sandbox.salesforce_state()

    def simulate_outcomes(self, now: datetime) -> tuple[int, int, int]:
        org = self.sandbox.salesforce
        open_tasks = sorted(
            (t for t in org.records["Task"].values() if not t.deleted and not t.values.get("IsClosed")),
            key=lambda t: t.id,
        )
        for task in open_tasks[::2]:
            org.update(task, {"Status": "Completed"}, trusted=True)
        scores = {
            a.id: float(a.values["Healthloop_Score__c"])
            for a in org.records["Account"].values()
            if not a.deleted and a.values.get("Healthloop_Score__c") is not None
        }
        winners, losers = _ranked_accounts(scores)
        for opportunity in list(org.records["Opportunity"].values()):
            account = opportunity.values.get("AccountId")
            stage = "Closed Won" if account in winners else "Closed Lost" if account in losers else None
            if stage:
                org.update(opportunity, {"StageName": stage, "CloseDate": now.date().isoformat()}, trusted=True)
        return len(open_tasks[::2]), len(winners), len(losers)


def start_demo_crm(crm: str) -> DemoCrm | None:
    return {"hubspot": HubSpotDemo, "salesforce": SalesforceDemo}[crm]() if crm != "none" else None
