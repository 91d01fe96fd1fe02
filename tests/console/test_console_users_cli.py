"""`healthloop users add | list | remove`: a token is shown once and only its hash is stored."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from connector.cli.main import cli
from connector.console.users import identify, token_hash
from connector.store.db import make_sessionmaker
from connector.store.models import ConsoleUser

pytestmark = pytest.mark.integration


def test_users_are_added_listed_signed_in_and_removed(database_url, engine, monkeypatch):
    monkeypatch.setenv("HEALTHLOOP_DATABASE_URL", database_url)
    runner = CliRunner()
    added = runner.invoke(cli, ["users", "add", "Dana Admin", "--role", "admin"])
    assert added.exit_code == 0, added.output
    token = added.output.strip().splitlines()[-1]
    with make_sessionmaker(engine)() as session:
        stored = session.scalars(select(ConsoleUser)).one()
        assert stored.token_hash == token_hash(token) and token not in str(stored.__dict__)
        assert identify(session, token, admin_token=None).role == "admin"
        assert identify(session, token + "x", admin_token=None) is None
    listed = runner.invoke(cli, ["users", "list"])
    assert "Dana Admin" in listed.output and "admin" in listed.output and token not in listed.output
    again = runner.invoke(cli, ["users", "add", "Dana Admin"])
    assert again.exit_code == 2 and "exists" in again.output
    assert runner.invoke(cli, ["users", "add", "x", "--role", "owner"]).exit_code == 2
    assert runner.invoke(cli, ["users", "remove", "Dana Admin"]).exit_code == 0
    assert runner.invoke(cli, ["users", "remove", "Dana Admin"]).exit_code == 1
    assert "no console users yet" in runner.invoke(cli, ["users", "list"]).output
