"""SNS's limits as alerts.py keeps them: the text budget, the JSON part in exactly the bytes left, the trimmed
JSON, and the subject (100 printable ASCII characters, whose account always shows).

Found by mutation testing (`make mutation`). Pure. Sizes are counted here as SNS counts them: UTF-8 bytes of
the message, the subject and every attribute's name, type and value.
"""

from __future__ import annotations

import json
from typing import Any

from tests.unit.builders import NOW
from thumbprint_remediator.domain.report import Finding, build_report
from thumbprint_remediator.domain.status import Action, Status
from thumbprint_remediator.domain.views import to_builtins
from thumbprint_remediator.report.alerts import (
    SUBJECT_LIMIT,
    TextBudget,
    ascii_subject,
    compose_alert,
    render_alert,
)

HEADING = "Report (JSON, trimmed):\n"


def _sns_size(subject: str, body: str, attributes: dict[str, tuple[str, str]]) -> int:
    named = sum(
        len(name.encode()) + len(kind.encode()) + len(value.encode()) for name, (kind, value) in attributes.items()
    )
    return len(body.encode()) + len(subject.encode()) + named


# --- the text budget ---------------------------------------------------------------------------------------------
def test_the_text_budget_takes_lines_up_to_exactly_its_limit_in_utf8_bytes_and_all_or_nothing() -> None:
    text = TextBudget(12)
    # "é" is two bytes: 4 + 1 newline
    assert text.add(["abé"]) is True
    # Two lines of 2 and 3 bytes, with their newlines: 7 bytes, 12 in all: exactly the limit
    assert text.add(["ab", "cde"]) is True
    assert text.add(["x"]) is False
    assert text.text() == "abé\nab\ncde"
    # A group that does not fit leaves nothing behind
    other = TextBudget(10)
    assert other.add(["12345", "67890"]) is False
    assert other.text() == ""


def test_a_reserve_keeps_room_for_what_must_come_after() -> None:
    text = TextBudget(10)
    assert text.add(["1234"], reserve=5) is True
    assert text.add(["x"], reserve=4) is False
    assert text.add(["x"], reserve=3) is True
    assert text.text() == "1234\nx"


# --- the JSON part in exactly the bytes left ---------------------------------------------------------------------


def test_an_attribute_value_is_capped_like_a_field() -> None:
    alert = compose_alert("s", {"account": ("String", "x" * 1000)}, "text", lambda room: "")
    kind, value = alert.attributes["account"]
    assert kind == "String"
    assert value.startswith("x" * 200)
    assert len(value) <= 256


# --- the trimmed JSON --------------------------------------------------------------------------------------------
REPORT = {"account": "123456789012", "sweep_id": "s-1", "note": "n" * 2000, "findings": "replaced"}
ITEMS = [{"url": f"issuer-{n}.example", "detail": "d" * (n * 7 % 50)} for n in range(40)]


def _parsed(part: str) -> dict[str, Any]:
    assert part.startswith(HEADING)
    parsed = json.loads(part[len(HEADING) :].split("\n", 1)[1])
    assert isinstance(parsed, dict)
    return parsed


# --- the subject -------------------------------------------------------------------------------------------------
def _updated() -> Finding:
    return Finding(
        arn="arn:aws:iam::123456789012:oidc-provider/x.example",
        url="x.example",
        status=Status.STALE,
        action=Action.UPDATED,
        thumbprints_before=("a" * 40,),
        thumbprints_after=("b" * 40,),
    )


def _subject(account: str) -> str:
    report = build_report(
        account=account, dry_run=False, started_at=NOW, duration_ms=1, findings=(_updated(),), sweep_id="s"
    )
    return render_alert(to_builtins(report)).subject


def test_a_subject_of_exactly_sns_limit_is_kept_whole_and_a_longer_one_is_cut_before_the_account() -> None:
    # "OIDC thumbprints: 1 updated (<account>)" is 30 characters besides the account
    whole = _subject("x" * (SUBJECT_LIMIT - 30))
    assert len(whole) == SUBJECT_LIMIT
    assert whole == f"OIDC thumbprints: 1 updated ({'x' * 70})"
    cut = _subject("y" * (SUBJECT_LIMIT - 29))
    assert len(cut) <= SUBJECT_LIMIT
    assert cut.endswith(f"... ({'y' * 71})")
    assert cut.startswith("OIDC thumbprints: 1 upd")


def test_a_subject_keeps_printable_ascii_and_marks_everything_else() -> None:
    assert ascii_subject("a\x1f b~\x7f\u00e9\U0001f600") == "a? b~???"
    assert len(ascii_subject("z" * 300)) == SUBJECT_LIMIT


def test_a_cut_subject_never_ends_its_counts_on_a_separator() -> None:
    # Given counts cut right after "1 updated, " (a 65-character account leaves 29 characters before "...")
    finding = Finding(
        arn="arn:aws:iam::123456789012:oidc-provider/y.example",
        url="y.example",
        status=Status.EXPIRING,
        action=Action.NONE,
    )
    report = build_report(
        account="z" * 65,
        dry_run=False,
        started_at=NOW,
        duration_ms=1,
        findings=(_updated(), finding),
        sweep_id="s",
    )
    subject = render_alert(to_builtins(report)).subject
    assert subject == f"OIDC thumbprints: 1 updated... ({'z' * 65})"
