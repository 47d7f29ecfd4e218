"""Invocation payloads: the scheduled event, manual payloads, and what is rejected."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from thumbprint_remediator.app.request import SweepRequest, parse_event, provider_key
from thumbprint_remediator.domain.errors import RequestError

ARN = "arn:aws:iam::123456789012:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/ABC"
SCHEDULED_EVENT = {
    "version": "0",
    "id": "89d1a02d-5ec7-412e-82f5-13505f849b41",
    "detail-type": "Scheduled Event",
    "source": "aws.events",
    "account": "123456789012",
    "time": "2026-11-28T00:00:00Z",
    "region": "us-east-1",
    "resources": ["arn:aws:events:us-east-1:123456789012:rule/sweep"],
    "detail": {},
}


@pytest.mark.parametrize("event", [None, {}, SCHEDULED_EVENT])
def test_scheduled_or_empty_event_is_a_full_sweep(event: object) -> None:
    assert parse_event(event) == SweepRequest(source="schedule")


def test_manual_payload_with_every_key() -> None:
    request = parse_event(
        {"dry_run": True, "providers": [ARN, "https://issuer.example:8443/realms/x/"], "notify": "always"}
    )
    assert request == SweepRequest(
        source="manual", dry_run=True, providers=(ARN, "issuer.example:8443/realms/x"), notify="always"
    )


@pytest.mark.parametrize(
    ("event", "message"),
    [
        ({"dryrun": True}, "unknown key(s) 'dryrun'"),
        ({"dry_run": "yes"}, "'dry_run' must be true or false"),
        ({"notify": "sometimes"}, "'notify' must be one of always, changes, problems, never"),
        ({"providers": "arn"}, "'providers' must be a list"),
        ({"providers": []}, "'providers' is empty"),
        ({"providers": ["not a provider!"]}, "is neither an OIDC provider ARN nor a provider URL"),
        ([1, 2], "the payload must be a JSON object"),
        ({**SCHEDULED_EVENT, "extra": 1}, "unexpected keys in the scheduled event: extra"),
    ],
)
def test_invalid_payloads_are_rejected_with_a_clear_message(event: object, message: str) -> None:
    with pytest.raises(RequestError) as raised:
        parse_event(event)
    assert message in str(raised.value)


def test_every_problem_is_reported_at_once() -> None:
    with pytest.raises(RequestError) as raised:
        parse_event({"dry_run": 1, "notify": 2, "bogus": 3})
    text = str(raised.value)
    assert "'bogus'" in text
    assert "'dry_run'" in text
    assert "'notify'" in text


def test_provider_key_matches_arn_and_url_forms() -> None:
    assert provider_key(ARN) == provider_key("https://OIDC.eks.us-east-1.amazonaws.com/id/ABC/")


@given(st.dictionaries(st.text(max_size=12), st.none() | st.booleans() | st.integers() | st.text(max_size=30)))
def test_any_payload_is_either_a_request_or_a_request_error(event: dict[str, object]) -> None:
    try:
        request = parse_event(event)
    except RequestError as error:
        assert str(error)
    else:
        assert request.source in ("schedule", "manual")
