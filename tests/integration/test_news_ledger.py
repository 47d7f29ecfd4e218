"""The news ledger of issue 20: nothing but a delivered alert may use up news.

A stateful property through the real handler, on moto in server mode, with real TLS issuers on 127.0.0.1 and a
DynamoDB history table. Hypothesis drives random sequences of
- world changes: a rotation to a new issuing CA or a renewal under the same one (its leaf expiring in 2 to 20 days,
  or not soon), TLS interception starting or ending, someone else adding or replacing a pin, someone else tagging
  the provider to be skipped or removing the tag;
- invocations: scheduled sweeps (NOTIFY_ON=changes), manual payloads (dry run or not, every `notify`), AWS Config
  evaluations, the workstation CLI with --history-table, NOTIFY_ON=never, and immediate checks of a change someone
  else made (a CloudTrail event);
- faults: SNS refusing the alert (the fault proxy, or a topic that does not exist), DynamoDB refusing reads, writes
  or only the told-marks after a delivered alert, and an invocation with too little time to probe anything.

The model is a ledger of news. A world change becomes news when a sweep *observes* it, that is, saves a record that
saw it (the record's `last_seen` moves on): a change overtaken or undone before any sweep saw it is nobody's news,
and a first sweep has nothing to compare with (only the tool's own write and the problems it sees are news then).
A problem is news from the first sweep that saw it until a delivered alert carried it; one that went before any
alert carried it is still news (problem_came_and_went). After each step:
1. a delivered alert (drained from the queue) carrying a provider whose history was on carries every piece of that
   provider's news: its told-mark uses the news up, so what it does not show is lost. A sweep that could alert
   (scheduled, a manual payload that is not `never`, an immediate check) and sent nothing must have had no news
   for any provider it observed: news waits at most for the first such sweep whose alert is delivered;
2. a delivered alert announces nothing twice (a drift pin, a rotation, a write, a skip tag, a new problem, an
   expiry reminder) unless that provider's history save or told-mark failed since an alert showed it: at least
   once, never silently dropped;
3. IAM holds what each finding says the sweep left (`thumbprints_after` as a set; a dry run's `after` is what a
   write would pin, so IAM holds its `before`), or the finding says unknown;
4. every sweep has exactly one finding per provider it covers, and never `internal_error`; a publish SNS refused
   fails the invocation (AlertDeliveryError);
5. the skip tag means never written, still watched: a tagged provider's list is left alone, and it reads `skipped`
   only when nothing else is wrong with it.

Expiry reminders fire when the days left cross 30, 14, 7, 3, 1 and 0. The handler reads the real clock, so days
cannot pass here: a crossing comes with a renewal presenting a certificate nearer its end (a chain change as
well). Days passing under an unchanged chain are covered by the pure tests (tests/unit/test_memory.py).

`make test` runs a seed-pinned LEDGER_EXAMPLES sequences of LEDGER_STEPS steps, plus the first and last sweep of
each (280 steps, about a minute); `make fuzz` thousands. LEDGER_SHRINK=0 reports a failure as generated, without
the minutes shrinking takes.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import threading
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar, Final

import pytest
from hypothesis import HealthCheck, Phase, note, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from sandbox.environment import Provider, Sandbox, applied_environment, stale_thumbprint
from sandbox.faults import Call, FaultProxy, FaultRule
from sandbox.issuers import Issuer
from sandbox.matrix.silence import CONFIG_EVENT
from sandbox.pki import KeyedCertificate, PresentedChain, issue_intermediate
from thumbprint_remediator.aws.history import STATE_SORT_KEY, HistoryTable, partition_key
from thumbprint_remediator.cli.main import main as cli_main
from thumbprint_remediator.contract.names import (
    ENV_EXTRA_CA_BUNDLE,
    ENV_HISTORY_TABLE,
    ENV_NOTIFY_ON,
    ENV_TOPIC_ARN,
    HISTORY_PARTITION_KEY,
    HISTORY_SORT_KEY,
    SKIP_TAG_KEY,
)
from thumbprint_remediator.domain.errors import AlertDeliveryError
from thumbprint_remediator.domain.memory import HistoryRecord

# `make test` runs LEDGER_EXAMPLES x LEDGER_STEPS steps with a fixed seed; `make fuzz` raises LEDGER_EXAMPLES.
LEDGER_EXAMPLES: Final = int(os.environ.get("LEDGER_EXAMPLES", "14"))
LEDGER_STEPS: Final = int(os.environ.get("LEDGER_STEPS", "18"))
FLEET: Final = 2
# The reminder days as the README states them, and the problems they apply to.
REMINDER_DAYS: Final = (30, 14, 7, 3, 1, 0)
EXPIRY_CODES: Final = frozenset({"certificate_expiring", "certificate_expired"})
OUTSIDER_ROLE: Final = "arn:aws:iam::123456789012:role/PlatformAdmin"
# Less than the handler's reserves: nothing is probed (tests/integration/test_sweep.py's time-budget test).
TOO_LITTLE_TIME: Final = 15 + 4
# Most invocations meet no fault; the rest one each. The cold ones (a changed environment rebuilds the handler's
# runtime: a missing topic) are rarer, to keep the run cheap.
FAULTS: Final = (
    *("none",) * 8,
    "sns_refuses",
    "history_reads_fail",
    "history_writes_fail",
    *(f"one_save_throttled:{index}" for index in range(FLEET)),
    "told_marks_fail",
    "history_down",
    "out_of_time",
    "sns_topic_missing",
)
HISTORY_FAULTS: Final = (
    *("none",) * 4,
    "history_reads_fail",
    "history_writes_fail",
    *(f"one_save_throttled:{index}" for index in range(FLEET)),
    "history_down",
)
PROVIDER: Final = st.integers(0, FLEET - 1)
# The CLI builds its own clients, NOTIFY_ON=never a runtime of its own (twice a cold start): rarer than the others.
RARELY: Final = st.sampled_from((False, False, False, True))
FAULT: Final = st.sampled_from(FAULTS)
OUTSIDE_CHANGES: Final = st.sampled_from(("adds_pin", "replaces_pins", "toggles_skip_tag"))

_CHANGE_LINE = re.compile(
    r"^  (?:Since the last sweep|Not yet told \(seen [^)]*\)): (?P<detail>.*) \((?P<kind>[a-z_]+)\)$"
)
_NEW_TOP = re.compile(r"new top certificate ([0-9a-f]{40})")


# --- the world ------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Chain:
    """A chain an issuer can present; `issuing` signs its renewals (None: an intercepting proxy's chain)."""

    presented: PresentedChain
    issuing: KeyedCertificate | None

    @property
    def name(self) -> str:
        return self.presented.name

    @property
    def top(self) -> str:
        return self.presented.top_thumbprint

    @property
    def legit(self) -> bool:
        return self.issuing is not None


@dataclass
class News:
    """A piece of news: its kind as the alert names it (`drift_added`/`drift_removed` for drift's two halves,
    `problem`, `expiry`), what the alert must show of it, and the step whose sweep first observed it."""

    kind: str
    token: str
    step: int
    gone: bool = False  # a problem no longer present, never told: the alert names it as problem_came_and_went

    def __str__(self) -> str:
        return f"{self.kind}({self.token or '-'}, observed at step {self.step}{', gone' if self.gone else ''})"


@dataclass
class Watched:
    """One provider: the world as it is, what the tool's record last observed, and its ledger of news."""

    provider: Provider
    presenting: Chain
    legit: Chain  # what ends an interception
    pins: frozenset[str]  # as IAM holds them now
    tagged: bool = False
    # As the last saved observation saw it (None: no record yet)
    last_seen: datetime | None = None
    seen_pins: frozenset[str] = frozenset()
    seen_tagged: bool = False
    seen_chains: set[str] = field(default_factory=set)
    seen_tops: set[str] = field(default_factory=set)
    codes: frozenset[str] = frozenset()
    days_left: int | None = None
    # What delivered alerts told
    told_codes: set[str] = field(default_factory=set)
    told_days: int | None = None
    news: list[News] = field(default_factory=list)
    # An alert showed this provider's news but its history save or told-mark failed: the next may repeat it.
    repeat_allowed: bool = False

    @property
    def arn(self) -> str:
        return self.provider.arn

    def pending(self, kind: str, token: str | None = None) -> bool:
        return any(item.kind == kind and (token is None or item.token == token) for item in self.news)


# --- reading an alert -----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Block:
    """A provider's block in an alert's text part."""

    lines: tuple[str, ...]

    @property
    def changes(self) -> list[tuple[str, str]]:
        """(kind, detail) of each change the block names, since the last sweep or not yet told."""
        return [
            (match["kind"], match["detail"]) for line in self.lines if (match := _CHANGE_LINE.match(line)) is not None
        ]

    @property
    def why(self) -> str:
        return next((line.split(": ", 1)[1] for line in self.lines if line.startswith("  Why this e-mail: ")), "")

    def written(self) -> tuple[set[str], set[str]]:
        """The thumbprints the block shows written: (added, removed) from its `before -> after` line."""
        line = next((line for line in self.lines if line.startswith("  Thumbprints: ") and " -> " in line), None)
        if line is None:
            return set(), set()
        before, after = (set(_listed(side)) for side in line.removeprefix("  Thumbprints: ").split(" -> ", 1))
        return after - before, before - after

    @property
    def shows_expiry(self) -> bool:
        return any(line.startswith("  Nearest expiry: ") for line in self.lines)


def _listed(text: str) -> list[str]:
    return [value for value in text.split(", ") if re.fullmatch(r"[0-9a-f]{40}", value)]


def block_of(text: str, url: str) -> Block | None:
    """The block headed `[STATUS] url`, up to the blank line that ends it; None when the alert has none."""
    lines = text.splitlines()
    for index, line in enumerate(lines):
        if line.startswith("[") and line.endswith(f"] {url}"):
            end = next((at for at in range(index, len(lines)) if not lines[at].strip()), len(lines))
            return Block(tuple(lines[index:end]))
    return None


def drift_parts(detail: str) -> tuple[list[str], list[str]]:
    """The pins a drift change names as added and as removed ("changed outside the tool: added A; removed B")."""
    added: list[str] = []
    removed: list[str] = []
    for part in detail.split(": ", 1)[-1].split("; "):
        word, _, values = part.partition(" ")
        if word == "added":
            added.extend(_listed(values))
        elif word == "removed":
            removed.extend(_listed(values))
    return added, removed


def carries(item: News, finding: Mapping[str, Any], block: Block | None) -> bool:
    """Whether an alert whose copy of the finding is `finding`, and whose block for it is `block`, shows `item`."""
    if block is None:
        return False
    changes = block.changes
    if item.kind == "rotated_intermediate":
        return any(kind == item.kind and item.token in detail for kind, detail in changes)
    if item.kind in ("new_chain", "skip_tag_added", "skip_tag_removed"):
        return any(kind == item.kind for kind, _ in changes)
    if item.kind in ("drift_added", "drift_removed"):
        half = 0 if item.kind == "drift_added" else 1
        return any(kind == "drift" and item.token in drift_parts(detail)[half] for kind, detail in changes)
    if item.kind in ("pins_added", "pins_removed"):
        shown = block.written()[0 if item.kind == "pins_added" else 1]
        return item.token in shown or any(
            kind == item.kind and item.token in detail.split(", ") for kind, detail in changes
        )
    if item.kind == "problem":
        came_and_went = any(
            kind == "problem_came_and_went" and detail.split(" ", 1)[0] == item.token for kind, detail in changes
        )
        if item.gone:
            return came_and_went
        codes = {problem["code"] for problem in finding.get("problems", ()) if problem["status"] != "ok"}
        return item.token in codes or came_and_went
    if item.kind == "expiry":
        return block.shows_expiry
    raise AssertionError(f"unknown news {item}")


def announcements(block: Block) -> Iterator[tuple[str, str | None]]:
    """What the block announces as news, as (kind, token) of the ledger: each must be pending unless a repeat is
    allowed. A token of None: any pending news of that kind."""
    for kind, detail in block.changes:
        if kind == "drift":
            added, removed = drift_parts(detail)
            yield from (("drift_added", pin) for pin in added)
            yield from (("drift_removed", pin) for pin in removed)
        elif kind == "rotated_intermediate":
            top = _NEW_TOP.search(detail)
            yield kind, top[1] if top else detail
        elif kind in ("new_chain", "skip_tag_added", "skip_tag_removed"):
            yield kind, None
        elif kind in ("pins_added", "pins_removed"):
            yield from ((kind, pin) for pin in _listed(detail))
        elif kind == "problem_came_and_went":
            yield "problem", detail.split(" ", 1)[0]
    why = block.why
    if why.startswith("new problem: "):
        yield from (("problem", code) for code in why.removeprefix("new problem: ").split(", "))
    elif why.startswith("reminder: "):
        yield "expiry", None


# --- the rig --------------------------------------------------------------------------------------------------
@dataclass
class _AfterPublish(FaultRule):
    """A rule that claims its calls only once SNS was asked to publish: the told-marks, not the saves before."""

    published: threading.Event = field(default_factory=threading.Event)

    def claims(self, call: Call) -> bool:
        return self.published.is_set() and super().claims(call)


@dataclass
class _Naming(FaultRule):
    """A rule that claims only the JSON-protocol calls whose body holds `needle` (a DynamoDB key: one provider), so
    that which provider meets the fault does not depend on the order of the sweep's threads."""

    needle: str = ""

    def claims(self, call: Call) -> bool:
        return self.needle in call.body and super().claims(call)


@dataclass
class Rig:
    """What every example shares: the sandbox, its issuers (reset per example), one history table (emptied per
    example) and a fault proxy every invocation goes through (so that the handler's runtime stays warm)."""

    sandbox: Sandbox
    issuers: tuple[Issuer, ...]
    table: str
    proxy: FaultProxy
    change_event: Callable[..., dict[str, Any]]
    dynamodb: Any  # a client straight to the emulator, past the proxy
    standing: tuple[FaultRule, ...]

    @property
    def records(self) -> HistoryTable:
        return HistoryTable(self.table, self.dynamodb)

    def plant(self, fault: str, arns: Sequence[str]) -> None:
        proxy = self.proxy
        if fault == "sns_refuses":
            proxy.add(FaultRule("Publish", "NotFound", 404, "Topic does not exist"))
        if fault in ("history_reads_fail", "history_down"):
            proxy.add(FaultRule("GetItem", "ProvisionedThroughputExceededException", 400, "Rate of requests exceeded"))
        if fault in ("history_writes_fail", "history_down"):
            proxy.add(FaultRule("PutItem", "InternalServerError", 500, "Internal server error", sender_fault=False))
        if fault.startswith("one_save_throttled:"):
            key = json.dumps(partition_key(arns[int(fault.rsplit(":", 1)[1])]))
            proxy.add(_Naming("PutItem", "ProvisionedThroughputExceededException", 400, "Rate exceeded", needle=key))
        if fault == "told_marks_fail":
            marks = _AfterPublish("PutItem", "ThrottlingException", 400, "Rate exceeded")
            proxy.add(marks)
            proxy.before("Publish", lambda _: marks.published.set(), times=None)

    def unplant(self) -> None:
        self.proxy.rules[:] = list(self.standing)
        self.proxy.calls.clear()

    def forget(self, arn: str) -> None:
        self.dynamodb.delete_item(
            TableName=self.table,
            Key={
                HISTORY_PARTITION_KEY: {"S": partition_key(arn)},
                HISTORY_SORT_KEY: {"S": STATE_SORT_KEY},
            },
        )


def mint(rig: Rig, issuing: KeyedCertificate | None, days: int | None) -> Chain:
    """A chain never presented before: a leaf under `issuing` (a new issuing CA under the public root when None),
    expiring in `days` and a half (not soon when None)."""
    pki = rig.sandbox.pki
    if issuing is None:
        label = uuid.uuid4().hex[:8]
        issuing = issue_intermediate(
            f"Ledger Issuing CA {label}", pki.public_root, pki.now - timedelta(days=30), pki.now + timedelta(days=3650)
        )
    not_after = None if days is None else datetime.now(UTC) + timedelta(days=days, hours=12)
    leaf = pki.leaf(issuing, not_after=not_after)
    return Chain(pki.presented(f"ledger-{uuid.uuid4().hex[:12]}", leaf, issuing), issuing)


# --- the machine ----------------------------------------------------------------------------------------------
class NewsLedger(RuleBasedStateMachine):
    rig: ClassVar[Rig]

    def __init__(self) -> None:
        super().__init__()
        rig, sandbox = self.rig, self.rig.sandbox
        self.step = self.completed = 0
        sandbox.account.delete_all_providers()
        sandbox.providers.clear()
        sandbox.alerts()
        base = Chain(sandbox.pki.chain("public"), sandbox.pki.public_intermediate)
        self.interception = Chain(sandbox.pki.chain("private"), None)
        self.fleet: list[Watched] = []
        for issuer in rig.issuers:
            sandbox.fleet.present(issuer, base.presented)
            provider = sandbox.register(issuer)
            rig.forget(provider.arn)
            self.fleet.append(Watched(provider, base, base, frozenset(provider.pinned)))
        self.environment = {
            ENV_HISTORY_TABLE: rig.table,
            ENV_NOTIFY_ON: "changes",
            "AWS_ENDPOINT_URL": rig.proxy.url,
        }
        # The tool has seen the fleet once (a first sweep has nothing to compare with, so news starts after it).
        self._invoke("the first scheduled sweep", None, "none", notify="changes")

    # --- world changes ------------------------------------------------------------------------------------------
    @rule(index=PROVIDER, new_ca=st.booleans(), days=st.sampled_from((None, 20, 12, 5, 2)))
    def issuer_presents_a_new_chain(self, index: int, new_ca: bool, days: int | None) -> None:
        """A rotation to a new issuing CA, or a renewal under the same one; its leaf expiring in `days` and a half
        (a renewal nearer the end is how an expiry reminder day is crossed here)."""
        self.step += 1
        watched = self.fleet[index]
        self._present(watched, mint(self.rig, None if new_ca else watched.legit.issuing, days))

    @rule(index=PROVIDER)
    def interception_starts_or_ends(self, index: int) -> None:
        self.step += 1
        watched = self.fleet[index]
        self._present(watched, self.interception if watched.presenting.legit else watched.legit)

    @rule(index=PROVIDER, change=OUTSIDE_CHANGES)
    def someone_else_changes_the_provider(self, index: int, change: str) -> None:
        self.step += 1
        self._outsider(self.fleet[index], change)

    def _present(self, watched: Watched, chain: Chain) -> None:
        self.rig.sandbox.fleet.present(watched.provider.issuer, chain.presented)
        watched.presenting = chain
        if chain.legit:
            watched.legit = chain
        note(f"step {self.step}: {watched.provider.url} presents {chain.name} (top {chain.top})")

    def _outsider(self, watched: Watched, change: str) -> str:
        """Someone else changes the provider; the CloudTrail event name of the change."""
        account = self.rig.sandbox.account
        if change == "toggles_skip_tag":
            if watched.tagged:
                account.iam.untag_open_id_connect_provider(OpenIDConnectProviderArn=watched.arn, TagKeys=[SKIP_TAG_KEY])
            else:
                account.iam.tag_open_id_connect_provider(
                    OpenIDConnectProviderArn=watched.arn, Tags=[{"Key": SKIP_TAG_KEY, "Value": "true"}]
                )
            watched.tagged = not watched.tagged
            note(f"step {self.step}: someone {'tags' if watched.tagged else 'untags'} {watched.provider.url}")
            return "TagOpenIDConnectProvider" if watched.tagged else "UntagOpenIDConnectProvider"
        fresh = stale_thumbprint(f"outsider-{uuid.uuid4().hex}")
        pins = [*watched.pins, fresh] if change == "adds_pin" and len(watched.pins) < 5 else [fresh]
        account.set_thumbprints(watched.arn, pins)
        watched.pins = frozenset(pins)
        note(f"step {self.step}: someone sets {watched.provider.url}'s pins to {sorted(pins)}")
        return "UpdateOpenIDConnectProviderThumbprint"

    # --- invocations ----------------------------------------------------------------------------------------
    @rule(fault=FAULT)
    def scheduled_sweep(self, fault: str) -> None:
        self.step += 1
        self._invoke("scheduled sweep", None, fault, notify="changes")

    @rule(dry_run=st.booleans(), notify=st.sampled_from((None, "always", "problems", "changes")), fault=FAULT)
    def manual_sweep(self, dry_run: bool, notify: str | None, fault: str) -> None:
        self.step += 1
        payload: dict[str, Any] = {"dry_run": dry_run} | ({"notify": notify} if notify else {})
        self._invoke(f"manual {payload}", payload, fault, notify=notify or "changes")

    @rule(fault=st.sampled_from(HISTORY_FAULTS))
    def config_rule_evaluation(self, fault: str) -> None:
        self.step += 1
        outcome = self._invoke("config rule", CONFIG_EVENT, fault, notify=None, report=False)
        assert len(outcome["evaluations"]) == FLEET, outcome

    @rule(cli=RARELY, fault=st.sampled_from(HISTORY_FAULTS))
    def dry_run_that_tells_nobody(self, cli: bool, fault: str) -> None:
        """A manual `{"dry_run": true, "notify": "never"}`, or the workstation CLI (a dry run, no topic)."""
        self.step += 1
        if cli:
            self._cli_dry_run()
        else:
            self._invoke("manual dry run notify never", {"dry_run": True, "notify": "never"}, fault, notify=None)

    @rule(env=RARELY, fault=st.sampled_from(HISTORY_FAULTS))
    def sweep_that_writes_and_tells_nobody(self, env: bool, fault: str) -> None:
        """A manual `{"dry_run": false, "notify": "never"}`, or a sweep under NOTIFY_ON=never: it writes, and
        nobody hears of it until the next delivered alert."""
        self.step += 1
        if env:
            self._invoke("NOTIFY_ON=never", None, fault, notify=None, env={ENV_NOTIFY_ON: "never"})
        else:
            self._invoke("manual notify never", {"dry_run": False, "notify": "never"}, fault, notify=None)

    @rule(index=PROVIDER, change=OUTSIDE_CHANGES, fault=FAULT)
    def immediate_check_of_a_change_by_someone_else(self, index: int, change: str, fault: str) -> None:
        self.step += 1
        watched = self.fleet[index]
        event_name = self._outsider(watched, change)
        event = self.rig.change_event(event_name, watched.arn, OUTSIDER_ROLE)
        report = self._invoke(f"immediate check ({event_name})", event, fault, notify="changes", covers=[watched])
        # A change someone else made is always worth telling: the check alerts (or fails visibly trying).
        assert report["alert"]["sent"] or report["alert"].get("error"), report["alert"]

    # --- the end of an example ------------------------------------------------------------------------------
    @invariant()
    def step_completed(self) -> None:
        self.completed = self.step  # hypothesis checks invariants only after a step that did not fail

    def teardown(self) -> None:
        """The deadline of every example: one scheduled sweep meeting no fault delivers all the news still owed."""
        if self.completed != self.step:
            return  # a step failed: that failure is the example's outcome
        self.step += 1
        self._invoke("the last scheduled sweep", None, "none", notify="changes")
        owed = {watched.provider.url: list(map(str, watched.news)) for watched in self.fleet if watched.news}
        assert not owed, f"news never told: {owed}"

    # --- one invocation, then the ledger --------------------------------------------------------------------
    def _invoke(
        self,
        what: str,
        event: Any,
        fault: str,
        *,
        notify: str | None,
        env: Mapping[str, str] | None = None,
        covers: Sequence[Watched] | None = None,
        report: bool = True,
    ) -> dict[str, Any]:
        rig = self.rig
        environment = {**self.environment, **(env or {})}
        if fault == "sns_topic_missing":
            environment[ENV_TOPIC_ARN] = rig.sandbox.topic_arn + "-missing"
        timeout = TOO_LITTLE_TIME if fault == "out_of_time" else 300
        rig.plant(fault, [watched.arn for watched in self.fleet])
        failed = None
        try:
            output = rig.sandbox.invoke(event, environment, timeout_seconds=timeout, warm=True)
        except AlertDeliveryError as error:
            output, failed = error.report, error
        finally:
            rig.unplant()
        note(f"step {self.step}: {what} with fault {fault}: {_summary(output)}")
        self._settle(output if report else None, failed, notify, covers or self.fleet)
        return output

    def _cli_dry_run(self) -> None:
        sandbox = self.rig.sandbox
        environment = {**sandbox.account.environment(), **sandbox.trust_environment}
        bundle = sandbox.trust_environment[ENV_EXTRA_CA_BUNDLE]
        printed = io.StringIO()
        with applied_environment(environment), contextlib.redirect_stdout(printed):
            code = cli_main(["sweep", "--history-table", self.rig.table, "--json", "--extra-ca-bundle", bundle])
        assert code in (0, 1), printed.getvalue()
        report = json.loads(printed.getvalue())
        note(f"step {self.step}: cli dry run: {_summary(report)}")
        self._settle(report, None, None, self.fleet)

    def _settle(
        self,
        report: dict[str, Any] | None,
        failed: AlertDeliveryError | None,
        notify: str | None,
        covered: Sequence[Watched],
    ) -> None:
        rig = self.rig
        alerts = rig.sandbox.alerts()
        findings = {} if report is None else _one_finding_each(report, covered)
        for watched in self.fleet:
            now = frozenset(rig.sandbox.thumbprints(watched.arn))
            finding = findings.get(watched.arn)
            if finding is not None:
                # 3. IAM holds what the finding says the sweep left (a dry run's after is what a write would pin)
                left = finding["thumbprints_before" if finding["action"] == "would_update" else "thumbprints_after"]
                assert left is None or set(left) == now, (watched.provider.url, finding, sorted(now))
                _held_if_tagged(watched, finding, now)
            record = rig.records.load(watched.arn)
            observed = record is not None and record.last_seen != watched.last_seen
            if finding is not None:
                on = (finding.get("history") or {}).get("state") == "on"
                assert on == observed, (watched.provider.url, finding.get("history"), record)
            if observed:
                assert record is not None
                self._observe(watched, record, now)
            watched.pins = now
        if report is not None and "alert" in report:
            # A publish SNS refused fails the invocation visibly
            assert (failed is not None) == bool(report["alert"].get("error")), report["alert"]
        sent = report is not None and bool(report.get("alert", {}).get("sent"))
        assert len(alerts) == (1 if sent else 0), (report and report.get("alert"), [a.subject for a in alerts])
        if alerts:
            assert report is not None
            self._delivered(alerts[0].body, alerts[0].queued, report)
        elif notify is not None and failed is None:
            # 1. a sweep that could alert and did not had no news for any provider it observed
            for watched in covered:
                finding = findings.get(watched.arn) or {}
                if (finding.get("history") or {}).get("state") == "on":
                    assert not watched.news, (
                        f"{watched.provider.url}: a sweep that could alert ({notify}) sent nothing while "
                        f"{', '.join(map(str, watched.news))} was untold"
                    )

    def _observe(self, watched: Watched, record: HistoryRecord, pins_after: frozenset[str]) -> None:
        """A sweep saved what it saw of `watched`: what is news since the record it compared with."""
        step, chain, pins_before = self.step, watched.presenting, watched.pins
        found: list[News] = []
        if watched.last_seen is not None:  # a first sweep has nothing to compare with
            if chain.legit and chain.name not in watched.seen_chains:
                rotated = watched.seen_tops and chain.top not in watched.seen_tops
                found.append(News("rotated_intermediate", chain.top, step) if rotated else News("new_chain", "", step))
            found.extend(News("drift_added", pin, step) for pin in sorted(pins_before - watched.seen_pins))
            found.extend(News("drift_removed", pin, step) for pin in sorted(watched.seen_pins - pins_before))
            if watched.tagged != watched.seen_tagged:
                found.append(News("skip_tag_added" if watched.tagged else "skip_tag_removed", "", step))
        # The tool's own write is news even on a first sweep.
        found.extend(News("pins_added", pin, step) for pin in sorted(pins_after - pins_before))
        found.extend(News("pins_removed", pin, step) for pin in sorted(pins_before - pins_after))
        codes = frozenset(problem.code for problem in record.problems)
        for item in watched.news:
            if item.kind == "problem" and item.token not in codes:
                item.gone = True
        watched.told_codes &= codes
        found.extend(
            News("problem", code, step)
            for code in sorted(codes - watched.told_codes)
            if not any(item.kind == "problem" and item.token == code and not item.gone for item in watched.news)
        )
        days = record.expiry_days_left
        if not codes & EXPIRY_CODES:
            watched.news = [item for item in watched.news if item.kind != "expiry"]  # renewed: no reminder due
        elif (
            days is not None
            and not watched.pending("expiry")
            and any(days <= day and (watched.told_days is None or watched.told_days > day) for day in REMINDER_DAYS)
        ):
            found.append(News("expiry", str(days), step))
        watched.news.extend(found)
        if found:
            note(f"step {step}: news for {watched.provider.url}: {', '.join(map(str, found))}")
        watched.last_seen = record.last_seen
        watched.seen_pins, watched.seen_tagged = pins_after, watched.tagged
        watched.seen_chains.add(chain.name)
        watched.seen_tops.add(chain.top)
        watched.codes, watched.days_left = codes, days

    def _delivered(self, text: str, queued: str, report: Mapping[str, Any]) -> None:
        """An alert SNS delivered (the e-mail, and the report its queue subscriber got): what it shows is told (at
        least once); what it leaves out of a provider whose history was on is lost, since its told-mark uses it up."""
        delivered = json.loads(queued)
        assert delivered["sweep_id"] == report["sweep_id"]
        told_failed = report["history"].get("told_failed", 0)
        for finding in delivered["findings"]:
            watched = next(w for w in self.fleet if w.arn == finding["arn"])
            block = block_of(text, finding["url"])
            history = finding.get("history") or {}
            on = history.get("state") == "on"
            if block is not None and not watched.repeat_allowed:
                # 2. nothing announced twice
                for kind, token in announcements(block):
                    assert watched.pending(kind, token), (
                        f"{watched.provider.url}: the alert announces {kind} {token or ''} again, or news never "
                        f"observed; untold: {', '.join(map(str, watched.news)) or 'nothing'}\n" + "\n".join(block.lines)
                    )
            carried = [item for item in watched.news if carries(item, finding, block)]
            left = [item for item in watched.news if item not in carried]
            if on and not history.get("untold_dropped"):
                # 1. a delivered alert carries all of an observed provider's news: its told-mark uses it up
                assert not left, (
                    f"{watched.provider.url}: the alert leaves out {', '.join(map(str, left))}; it will be marked "
                    "told\n" + ("\n".join(block.lines) if block else "(no block)")
                )
            watched.news = left
            if on:
                watched.told_codes, watched.told_days = set(watched.codes), watched.days_left
                watched.repeat_allowed = told_failed > 0
            elif carried:
                watched.repeat_allowed = True
            if carried:
                note(f"step {self.step}: told {watched.provider.url}: {', '.join(map(str, carried))}")


def _held_if_tagged(watched: Watched, finding: Mapping[str, Any], now: frozenset[str]) -> None:
    """5. the skip tag means never written, still watched: `skipped` only when nothing else is wrong."""
    wrong = [problem["code"] for problem in finding["problems"] if problem["status"] != "ok"]
    if watched.tagged:
        assert finding["action"] == "none", finding
        assert now == watched.pins, (watched.provider.url, sorted(watched.pins), sorted(now))
        assert finding["status"] != "skipped" or not wrong, finding
        assert finding["status"] == "skipped" or wrong or finding["status"] == "error", finding
    else:
        assert finding["status"] != "skipped", finding


def _one_finding_each(report: Mapping[str, Any], covered: Sequence[Watched]) -> dict[str, dict[str, Any]]:
    """4. exactly one finding per provider the sweep covers, never internal_error."""
    arns = [finding["arn"] for finding in report["findings"]]
    assert sorted(arns) == sorted(watched.arn for watched in covered), arns
    for finding in report["findings"]:
        codes = [problem["code"] for problem in finding["problems"]]
        assert "internal_error" not in codes, finding
    return {finding["arn"]: finding for finding in report["findings"]}


def _summary(output: Mapping[str, Any]) -> str:
    if "findings" not in output:
        return ", ".join(f"{e['ComplianceResourceId']}: {e['ComplianceType']}" for e in output.get("evaluations", []))
    alert = output.get("alert", {})
    parts = [
        f"{f['url']} {f['status']}/{f['action']} history={(f.get('history') or {}).get('state')}"
        for f in output["findings"]
    ]
    told = output.get("history", {})
    return (
        f"{'; '.join(parts)}; alert sent={alert.get('sent')} told={told.get('told')} failed={told.get('told_failed')}"
    )


LEDGER_SETTINGS: Final = settings(
    max_examples=LEDGER_EXAMPLES,
    stateful_step_count=LEDGER_STEPS,
    deadline=None,
    derandomize=True,
    database=None,
    # LEDGER_SHRINK=0 reports a failure as generated, at once (shrinking replays whole examples: minutes).
    phases=list(Phase) if os.environ.get("LEDGER_SHRINK", "1") != "0" else [Phase.explicit, Phase.generate],
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)


@pytest.fixture
def ledger_rig(sandbox: Sandbox, history_table: str, change_event: Callable[..., dict[str, Any]]) -> Iterator[Rig]:
    issuers = tuple(sandbox.fleet.add("healthy") for _ in range(FLEET))
    with FaultProxy(f"http://127.0.0.1:{sandbox.account.port}") as proxy:
        standing = (proxy.keep("PutEvaluations", {"FailedEvaluations": []}),)
        dynamodb = sandbox.account.client("dynamodb")
        yield Rig(sandbox, issuers, history_table, proxy, change_event, dynamodb, standing)


def test_nothing_but_a_delivered_alert_uses_up_news(ledger_rig: Rig) -> None:
    class Ledger(NewsLedger):
        rig = ledger_rig

    run_state_machine_as_test(Ledger, settings=LEDGER_SETTINGS)
