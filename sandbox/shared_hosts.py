"""Shared hosts that misbehave on their kept-alive connections: what an EKS-like host (many providers, one
endpoint) or the proxy in front of it does to a client that pools connections.

Each behaviour answers a tenant's documents as `serve_oidc` does, except where it says otherwise; the
endpoint-wide request count (`Request.sequence`) makes "after N answers" the host's, not one connection's.
Importing this module registers the behaviours.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Iterator
from typing import Final

from sandbox.issuers import Behaviour, Reply, Request, Responder, on_discovery, register_behaviour, serve_oidc

STALL_AFTER_ANSWERS: Final = 3  # requests a stalling host answers (all connections together) before it stops
DUPLICATED_ANSWER: Final = 1  # the sequence number of the one response a duplicating host sends twice
LATE_DUPLICATE_SECONDS: Final = 0.05
ENDLESS_CHUNK_PACE: Final = 0.05  # seconds between the chunks of a body that never ends
IDLE_TIMEOUT: Final = 0.02  # how long a kept-alive connection may sit idle before such a host answers it: 408
MID_BODY_BYTES: Final = 120  # what a host stalling mid-body sends of a response: its head and part of the body


def _stall_after_answers(request: Request) -> Reply:
    reply = serve_oidc(request)
    return reply if request.sequence < STALL_AFTER_ANSWERS else dataclasses.replace(reply, stall_after=0)


def _stall_mid_body_after_answers(request: Request) -> Reply:
    reply = serve_oidc(request)
    if request.sequence < STALL_AFTER_ANSWERS:
        return reply
    return dataclasses.replace(reply, stall_after=MID_BODY_BYTES)


def _duplicated(delay: float, every: bool) -> Responder:
    def respond(request: Request) -> Reply:
        reply = serve_oidc(request)
        if every or request.sequence == DUPLICATED_ANSWER:
            return dataclasses.replace(reply, repeat_after=delay)
        return reply

    return respond


def _connection_close_mix(request: Request) -> Reply:
    """In turn: kept alive, Connection: close, HTTP/1.0 (closes), HTTP/1.0 kept alive, closed without a word."""
    reply = serve_oidc(request)
    turn = request.sequence % 5
    if turn == 1:
        return dataclasses.replace(reply, close=True)
    if turn == 2:
        return dataclasses.replace(reply, version="HTTP/1.0")
    if turn == 3:
        return dataclasses.replace(reply, version="HTTP/1.0", keep_alive=True)
    if turn == 4:
        return dataclasses.replace(reply, close_silently=True)
    return reply


def _endless_chunked(request: Request) -> Reply:
    """A chunked discovery response that starts like the document and never ends."""
    opening = Reply.json(request.issuer.discovery_document()).body[:-1] + b', "padding": "'

    def pieces() -> Iterator[bytes]:
        yield opening
        for _ in itertools.count():
            yield b"x"

    return Reply(200, stream=pieces, chunked=True, pace=ENDLESS_CHUNK_PACE)


def _early_hints(request: Request) -> Reply:
    return dataclasses.replace(serve_oidc(request), interim=(103,))


def _trickle_beyond_first_address(request: Request) -> Reply:
    reply = serve_oidc(request)
    return reply if request.backend == request.endpoint.bind_address else dataclasses.replace(reply, trickle=True)


SHARED_HOST_BEHAVIOURS: Final = (
    Behaviour(
        "stall_after_answers",
        f"answers its first {STALL_AFTER_ANSWERS} requests (all connections together), then stays silent on every "
        "connection",
        respond=_stall_after_answers,
    ),
    Behaviour(
        "stall_mid_body_after_answers",
        f"after {STALL_AFTER_ANSWERS} answers, sends each response's head and part of its body, then stays silent",
        respond=_stall_mid_body_after_answers,
    ),
    Behaviour(
        "duplicate_response",
        "sends one response twice, in one write (a proxy replaying an answer on a kept-alive connection)",
        respond=_duplicated(0, every=False),
    ),
    Behaviour(
        "late_duplicate_response",
        f"sends one response again {LATE_DUPLICATE_SECONDS * 1000:g} ms after it, while the next request is on its way",
        respond=_duplicated(LATE_DUPLICATE_SECONDS, every=False),
    ),
    Behaviour(
        "duplicate_every_response",
        "sends every response twice, in one write",
        respond=_duplicated(0, every=True),
    ),
    Behaviour(
        "connection_close_mix",
        "answers in turn kept alive, with Connection: close, as HTTP/1.0, as HTTP/1.0 kept alive, "
        "and by closing without a word",
        respond=_connection_close_mix,
    ),
    Behaviour(
        "endless_chunked_discovery",
        f"answers discovery with a chunked body that never ends (a chunk every {ENDLESS_CHUNK_PACE * 1000:g} ms)",
        respond=on_discovery(_endless_chunked),
    ),
    Behaviour(
        "early_hints",
        "sends 103 Early Hints before every answer (an informational response the client must skip)",
        respond=_early_hints,
    ),
    Behaviour(
        "idle_request_timeout",
        f"answers a kept-alive connection idle for {IDLE_TIMEOUT * 1000:g} ms with an unsolicited 408 Request "
        "Timeout, then closes it",
        idle_timeout=IDLE_TIMEOUT,
    ),
    Behaviour(
        "trickle_beyond_first_address",
        "handshakes well on every address; every address but the first trickles its responses a byte at a time",
        respond=_trickle_beyond_first_address,
    ),
)
for _behaviour in SHARED_HOST_BEHAVIOURS:
    register_behaviour(_behaviour)
