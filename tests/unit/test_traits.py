"""Reading typed account attributes out of Segment traits."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from connector.config.yaml_config import AccountTraitMap
from connector.errors import InputError
from connector.ingest.traits import account_fields, merge_traits, normalize_domain


@pytest.mark.parametrize(
    ("value", "domain"),
    [
        ("https://www.Acme.com/pricing?x=1", "acme.com"),
        ("acme.com", "acme.com"),
        ("ana@Sub.Acme.co.uk", "sub.acme.co.uk"),
        ("http://localhost:8000", None),
        ("not a domain", None),
        ("münchen.de", "xn--mnchen-3ya.de"),
        ("", None),
    ],
)
def test_domains_are_normalised_from_urls_and_emails(value, domain):
    assert normalize_domain(value) == domain


def test_the_first_configured_trait_present_wins_and_values_are_typed():
    fields = account_fields(
        {
            "licensed_seats": "40",
            "renewalDate": "2027-01-31T00:00:00Z",
            "createdAt": 1700000000,
            "website": "x.io",
        },
        AccountTraitMap(),
    )
    assert fields.licensed_seats == 40
    assert fields.renewal_date == date(2027, 1, 31)
    assert fields.signed_up_at == datetime.fromtimestamp(1700000000, tz=UTC)
    assert fields.domain == "x.io"
    assert fields.name is None, "an absent trait stays unknown"


@pytest.mark.parametrize(
    ("traits", "message"),
    [
        ({"seats": "a dozen"}, "traits.seats: expected a whole number"),
        ({"seats": 2.5}, "traits.seats: expected a whole number"),
        ({"seats": -1}, "between 0 and 10,000,000"),
        ({"mrr": "lots"}, "traits.mrr: expected a number"),
        ({"renewal_date": "next spring"}, "traits.renewal_date: expected an ISO-8601 date"),
        ({"name": {"first": "A"}}, "traits.name: expected text"),
    ],
)
def test_a_wrongly_typed_trait_is_named(traits, message):
    with pytest.raises(InputError, match=message.replace("(", r"\(").replace(")", r"\)")):
        account_fields(traits, AccountTraitMap())


def test_newer_traits_win_and_older_ones_only_fill_gaps():
    old, new = datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 6, 1, tzinfo=UTC)
    merged, at = merge_traits({"plan": "pro"}, new, {"plan": "starter", "name": "Acme"}, old)
    assert (merged, at) == ({"plan": "pro", "name": "Acme"}, new)
    merged, at = merge_traits({"plan": "pro"}, old, {"plan": "enterprise"}, new)
    assert (merged, at) == ({"plan": "enterprise"}, new)
