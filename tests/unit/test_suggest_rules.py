"""The pure parts of `config suggest`: what names say, YAML that reads back as written, percentiles."""

from __future__ import annotations

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from connector.measure.event_names import NameRole, name_role, non_use_reason, words
from connector.measure.suggest_yaml import comment_text, scalar
from connector.measure.suggestion import percentile


@pytest.mark.parametrize(
    ("name", "role"),
    [
        ("Signed Out", NameRole.NON_USE),
        ("user_logged_out", NameRole.NON_USE),
        ("Logout", NameRole.NON_USE),
        ("Email Opened", NameRole.NON_USE),
        ("Marketing Email Bounced", NameRole.NON_USE),
        ("Unsubscribed", NameRole.NON_USE),
        ("Application Backgrounded", NameRole.NON_USE),
        ("Heartbeat", NameRole.NON_USE),
        ("Subscription Cancelled", NameRole.NON_USE),
        ("Signed In", NameRole.LOGIN),
        ("userLoggedIn", NameRole.LOGIN),
        ("login", NameRole.LOGIN),
        ("Login Failed", NameRole.OTHER),
        ("Sign In Page Viewed", NameRole.OTHER),
        ("Signed Up", NameRole.SIGNUP),
        ("account-created", NameRole.SIGNUP),
        ("Signup Started", NameRole.OTHER),
        ("Onboarding Completed", NameRole.ONBOARDING_DONE),
        ("Completed Onboarding", NameRole.ONBOARDING_DONE),
        ("Setup Completed", NameRole.SETUP_DONE),
        ("set_up_finished", NameRole.SETUP_DONE),
        ("Integration Connected", NameRole.SETUP_STEP),
        ("Bank Account Connected", NameRole.SETUP_STEP),
        ("Workspace Set Up", NameRole.SETUP_STEP),
        ("Integration Disconnected", NameRole.OTHER),
        ("Setup Reminder Sent", NameRole.OTHER),
        ("Invoice Sent", NameRole.OTHER),
        ("Plugin Installed", NameRole.SETUP_STEP),
        ("Blog Post Published", NameRole.OTHER),
        ("Ping Sent", NameRole.OTHER),
    ],
)
def test_an_event_name_is_read_for_what_its_words_say(name, role):
    assert name_role(name) is role


def test_camel_snake_and_kebab_names_read_as_the_same_words():
    assert words("userLoggedIn") == words("user_logged_in") == words("User-Logged  In") == "user logged in"


def test_a_non_use_name_comes_with_the_reason_an_admin_reads():
    assert non_use_reason("Signed Out") == "a sign-out"
    assert non_use_reason("Invoice Sent") is None


@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40))
def test_any_event_name_reads_back_unchanged_as_a_yaml_value_with_a_comment_beside_it(name):
    value, comment = scalar(name), comment_text(name)
    document = (
        f"scoring:\n  events:\n    meaningful:\n      - {value}  # {comment}\n      - x\n"
        f"    core: {value}  # {comment}\n"
    )
    assert yaml.safe_load(document) == {"scoring": {"events": {"meaningful": [name, "x"], "core": name}}}


@pytest.mark.parametrize("name", ["yes", "123", "a: b", "x #y", "- dash", "[x]", "{b}", "null", "", "Multi\nLine"])
def test_names_yaml_would_misread_are_quoted(name):
    assert yaml.safe_load(f"k: {scalar(name)}") == {"k": name}
    assert scalar(name) != name or name == ""


def test_plain_names_stay_plain():
    assert scalar("Invoice Sent") == "Invoice Sent"


def test_a_comment_stays_on_one_printable_line():
    assert comment_text("a\nb\r\nc\u2028d\x07e") == "a b c d\\x07e"


def test_the_percentile_is_an_observed_value_by_nearest_rank():
    assert percentile(list(range(1, 11)), 80) == 8
    assert percentile([5], 80) == 5
    assert percentile([0, 0, 0, 9, 9], 80) == 9
