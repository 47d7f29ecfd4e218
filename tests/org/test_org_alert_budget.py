"""The organization's alert: within SNS's 256 KB whatever the accounts report, and nothing in it forges a line."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sandbox.oracles import FORBIDDEN_TEXT
from thumbprint_remediator.domain.organization import aggregate
from thumbprint_remediator.report.alerts import MESSAGE_LIMIT, TEXT_BUDGET, render_organization_alert

HOSTILE = st.one_of(
    st.characters(min_codepoint=0, max_codepoint=0x9F),
    st.sampled_from(["\u2028", "\u202e", "\u2066", "€", "\U0001f600", "[", "=", "\n"]),
    st.characters(),
)
short_value = st.text(HOSTILE, max_size=30)
hostile_value = st.one_of(
    short_value, st.builds(lambda text, times: text * times, st.text(HOSTILE, max_size=12), st.integers(0, 30_000))
)


def _finding(url: str, error: str | None) -> dict[str, Any]:
    return {
        "arn": "arn:aws:iam::111111111111:oidc-provider/" + url,
        "url": url,
        "status": "untrusted",
        "action": "blocked",
        "thumbprints_before": ["a" * 40],
        "thumbprints_after": ["a" * 40],
        "problems": ["chain_untrusted"],
        "days_to_expiry": 3,
        "error": error,
    }


@st.composite
def account_results(draw: st.DrawFn) -> list[dict[str, Any]]:
    """What the state machine hands the aggregation: each account's compact report or its caught error."""
    results: list[dict[str, Any]] = []
    for index in range(draw(st.integers(1, 4))):
        findings = [_finding(draw(hostile_value), draw(st.one_of(st.none(), hostile_value)))] * draw(st.integers(0, 10))
        if draw(st.booleans()):
            report = {"sweep_id": draw(short_value), "summary": {"providers": len(findings)}, "findings": findings}
            results.append({"account_id": f"{index:012d}", "name": draw(hostile_value), "report": report})
        else:
            cause = json.dumps({"errorType": draw(short_value), "errorMessage": draw(hostile_value)})
            results.append({"account_id": f"{index:012d}", "name": draw(short_value), "error": {"Cause": cause}})
    copies = draw(st.integers(1, 40))  # many accounts alike
    return [{**result, "account_id": f"{n:06d}{result['account_id'][6:]}"} for n in range(copies) for result in results]


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(account_results(), st.one_of(st.none(), hostile_value))
def test_any_organization_report_renders_one_message_within_sns_limits(
    results: list[dict[str, Any]], execution: str
) -> None:
    # Given any mix of accounts, their text unsanitized  When the organization's alert is rendered
    alert = render_organization_alert(aggregate(results, execution=execution))
    # Then message, attributes and subject fit SNS's 256 KB in UTF-8 bytes, the text part its budget
    size = len(alert.message().encode()) + len(alert.subject.encode())
    size += sum(len(f"{name}{kind}{value}".encode()) for name, (kind, value) in alert.attributes.items())
    assert size <= MESSAGE_LIMIT
    assert len(alert.body.encode()) <= TEXT_BUDGET
    assert isinstance(json.loads(alert.report_json), dict)
    assert alert.subject.isascii()
    assert alert.subject.isprintable()
    assert len(alert.subject) <= 100
    # And no line holds a character that could forge another
    assert not any(FORBIDDEN_TEXT.search(line) for line in alert.body.split("\n"))
