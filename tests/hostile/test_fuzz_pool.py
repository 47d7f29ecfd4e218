"""A shared host whose every request gets a generated misbehaviour, probed by several providers at once through one
sweep's pool: every call returns a result (a raised exception is what the sweep reports as `internal_error`), every
failure is one the probe documents and none comes from a neighbour's answer, and a provider that succeeds read its
own documents.

Hypothesis scripts what the host does with its 1st, 2nd, ... request, whichever connection and provider it comes
from: answer, close (with or without saying so), HTTP/1.0, precede the answer with informational responses, repeat
the answer (at once or late), go silent (before, inside the head or the body), announce more than it sends, never
end, trickle, speak another protocol. Which
provider meets which step is the threads' race: the properties hold whatever it is. `POOL_FUZZ_EXAMPLES` sets the
number of scripts (15 by default); the seed is fixed (derandomize), so a failure replays.
"""

from __future__ import annotations

import dataclasses
import itertools
import os
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Final

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sandbox.environment import Sandbox
from sandbox.issuers import Behaviour, Reply, Request, serve_oidc
from tests.hostile.test_fuzz_probe import PROBE_CODES, PROBE_STATUSES
from thumbprint_remediator.tls.connection import ProbeLimits
from thumbprint_remediator.tls.probe import OidcProber

POOL_FUZZ_EXAMPLES = int(os.environ.get("POOL_FUZZ_EXAMPLES", "15"))
# More providers than the pool's 4 connections can serve one read timeout at a time within the budget: some wait.
PROVIDERS: Final = 12
# Short enough that a script that stalls costs about a second, long enough for a loaded machine on loopback.
LIMITS: Final = ProbeLimits(
    connect_timeout=0.5, read_timeout=0.4, host_budget=1.0, sample_addresses=4, samples_per_address=1
)
# Every tenant's documents are right, whatever happens to them on the way: these can only come from reading
# an answer that was another request's.
MISREAD: Final = frozenset(
    {
        "issuer_mismatch",
        "issuer_missing",
        "jwks_uri_missing",
        "discovery_not_object",
        "jwks_not_object",
        "jwks_no_keys",
        "invalid_json",
        "ambiguous_json",
        "http_status",
    }
)


def _truncated(reply: Reply) -> Reply:
    body = reply.body

    def pieces() -> Iterator[bytes]:
        yield body

    return Reply(reply.status, stream=pieces, length=len(body) + 50, close=True)


def _surplus(reply: Reply) -> Reply:
    body = reply.body

    def pieces() -> Iterator[bytes]:
        yield body + b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}"

    return Reply(reply.status, stream=pieces, length=len(body))


def _endless(reply: Reply) -> Reply:
    def pieces() -> Iterator[bytes]:
        yield reply.body[:-1]
        for _ in itertools.count():
            yield b" "

    return Reply(reply.status, stream=pieces, chunked=True, pace=0.02)


# What the host may do with one request, given the answer it should give.
STEPS: Final[dict[str, Callable[[Reply], Reply]]] = {
    "answer": lambda reply: reply,
    "close": lambda reply: dataclasses.replace(reply, close=True),
    "close_silently": lambda reply: dataclasses.replace(reply, close_silently=True),
    "http10": lambda reply: dataclasses.replace(reply, version="HTTP/1.0"),
    "http10_kept_alive": lambda reply: dataclasses.replace(reply, version="HTTP/1.0", keep_alive=True),
    "chunked": lambda reply: dataclasses.replace(reply, chunked=True),
    "duplicate": lambda reply: dataclasses.replace(reply, repeat_after=0),
    "late_duplicate": lambda reply: dataclasses.replace(reply, repeat_after=0.03),
    "silent": lambda reply: dataclasses.replace(reply, stall_after=0),
    "silent_in_head": lambda reply: dataclasses.replace(reply, stall_after=20),
    "silent_in_body": lambda reply: dataclasses.replace(reply, stall_after=110),
    "truncated": _truncated,
    "surplus": _surplus,
    "endless": _endless,
    "trickle": lambda reply: dataclasses.replace(reply, trickle=True),
    "other_protocol": lambda reply: dataclasses.replace(reply, version="HTTP/2.5"),
    "early_hints": lambda reply: dataclasses.replace(reply, interim=(103,)),
    "interim_responses": lambda reply: dataclasses.replace(reply, interim=(100, 102, 103)),
}


@dataclasses.dataclass(frozen=True)
class Script:
    """What the host does with its n-th request: steps[n % len(steps)]."""

    steps: tuple[str, ...]

    def respond(self, request: Request) -> Reply:
        return STEPS[self.steps[request.sequence % len(self.steps)]](serve_oidc(request))


SCRIPTS = st.lists(st.sampled_from(sorted(STEPS)), min_size=1, max_size=8).map(lambda steps: Script(tuple(steps)))


@settings(
    max_examples=POOL_FUZZ_EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(script=SCRIPTS)
def test_whatever_a_shared_host_does_each_provider_gets_a_result_of_its_own(
    session_sandbox: Sandbox, script: Script
) -> None:
    # Given a host answering its requests as the script says, and providers on it probed at once
    behaviour = Behaviour("scripted_shared_host", f"scripted: {', '.join(script.steps)}", respond=script.respond)
    tenants = session_sandbox.fleet.add_shared_host(PROVIDERS, behaviour=behaviour)
    with OidcProber(LIMITS).sweep_pool() as pool, ThreadPoolExecutor(PROVIDERS) as threads:
        futures = [threads.submit(pool.probe, tenant.url) for tenant in tenants]
        # Then no call raised
        assert [future.exception() for future in futures] == [None] * PROVIDERS, script
        results = [future.result() for future in futures]
    for tenant, result in zip(tenants, results, strict=True):
        if result.failure is not None:
            # ... every failure is one the probe documents
            assert (result.failure.kind, result.failure.code) in {
                (kind, code) for kind in PROBE_STATUSES for code in PROBE_CODES
            }, (script, result.failure)
            assert result.failure.endpoint == tenant.discovery.endpoint
            # ... and none says the provider read a neighbour's answer
            assert result.failure.code not in MISREAD, (script, result.failure)
        else:
            # ... and a provider that succeeded read its own discovery document, not a neighbour's
            assert result.issuer == tenant.issuer_url, script
            assert result.jwks_key_count == 1
