"""A fault-injecting HTTP proxy in front of the emulated AWS account, on loopback.

IAM and SNS speak the query protocol: a form-encoded POST whose `Action` names the operation; JSON-protocol
services (Config, EventBridge) name it in the X-Amz-Target header. The proxy forwards every request to moto
unchanged, except those a `FaultRule` matches: those get a real AWS error response (so botocore parses the
code and retries exactly as it would against AWS), run a hook first (e.g. delete the provider, to emulate a
deletion racing the sweep), or are answered and kept by the proxy (`keep`: an operation moto lacks).

    with FaultProxy(sandbox.account.endpoint_url) as proxy:
        proxy.throttle("GetOpenIDConnectProvider", times=3)
        sandbox.invoke(None, AWS_ENDPOINT_URL=proxy.url)
        assert proxy.faults("GetOpenIDConnectProvider") == 3
"""

from __future__ import annotations

import http.client
import json
import logging
import re
import socket
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Final
from urllib.parse import parse_qs, urlsplit
from xml.sax.saxutils import escape

LOGGER = logging.getLogger(__name__)

# The XML namespace of each query-protocol API version: what AWS puts on its error responses.
NAMESPACES: Final = {
    "2010-05-08": "https://iam.amazonaws.com/doc/2010-05-08/",
    "2010-03-31": "http://sns.amazonaws.com/doc/2010-03-31/",
}
# Hop-by-hop headers (RFC 9110 7.6.1) and the framing the proxy recomputes.
_NOT_FORWARDED: Final = frozenset(
    {"connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade", "content-length"}
)
UPSTREAM_TIMEOUT: Final = 30.0


@dataclass(frozen=True)
class Call:
    """One request the proxy saw, and the error it answered with (None: forwarded to the emulator)."""

    action: str
    params: Mapping[str, str]
    fault: str | None = None
    body: str = ""  # JSON-protocol calls: the request document


@dataclass
class FaultRule:
    """Which calls to interfere with, and how.

    A call matches when its Action is `action` and its parameters include every item of `where`;
    only the first `times` matching calls are affected (None: all of them). A matched call either gets
    the error `code` (with `status` and `message`) or, when `code` is None, runs `before`, is forwarded (unless
    `answer` gives a body to send instead, as a stale replica would) and runs `after` before the answer goes back.
    """

    action: str
    code: str | None = None
    status: int = 400
    message: str = ""
    sender_fault: bool = True
    times: int | None = None
    where: Mapping[str, str] = field(default_factory=dict)
    before: Callable[[Call], object] | None = None
    after: Callable[[Call], None] | None = None
    answer: Callable[[Call], bytes | None] | None = None
    json_answer: str | None = None  # a JSON document answered with 200, not forwarded (keep)
    rewrite: Callable[[bytes], bytes] | None = None  # applied to a forwarded 200 answer before it goes back
    matched: int = 0

    def claims(self, call: Call) -> bool:
        """Whether this rule takes `call` (counting it when it does)."""
        if call.action != self.action or any(call.params.get(key) != value for key, value in self.where.items()):
            return False
        if self.times is not None and self.matched >= self.times:
            return False
        self.matched += 1
        return True


def error_response(code: str, message: str, version: str | None, sender_fault: bool = True) -> bytes:
    """An AWS query-protocol error document, as IAM and SNS send them."""
    namespace = NAMESPACES.get(version or "", NAMESPACES["2010-05-08"])
    return (
        f'<ErrorResponse xmlns="{namespace}">\n'
        "  <Error>\n"
        f"    <Type>{'Sender' if sender_fault else 'Receiver'}</Type>\n"
        f"    <Code>{escape(code)}</Code>\n"
        f"    <Message>{escape(message)}</Message>\n"
        "  </Error>\n"
        f"  <RequestId>{uuid.uuid4()}</RequestId>\n"
        "</ErrorResponse>\n"
    ).encode()


class FaultProxy:
    """A threaded HTTP proxy on 127.0.0.1 in front of `upstream` (moto's endpoint URL)."""

    def __init__(self, upstream: str) -> None:
        parts = urlsplit(upstream)
        if parts.scheme != "http" or not parts.hostname or parts.port is None:
            raise ValueError(f"upstream must be http://host:port, got {upstream!r}")
        self.upstream_host, self.upstream_port = parts.hostname, parts.port
        self.rules: list[FaultRule] = []
        self.calls: list[Call] = []
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        # The last answer forwarded per (action, provider ARN): what a stale replica would still serve.
        self._answers: dict[tuple[str, str], bytes] = {}

    # --- lifecycle ----------------------------------------------------------------------------

    def start(self) -> FaultProxy:
        if self._server is not None:
            return self
        server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        server.daemon_threads = True
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, name="aws-fault-proxy", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        server, thread = self._server, self._thread
        if server is None:
            return
        server.shutdown()
        server.server_close()
        if thread is not None:
            thread.join(timeout=10)
        self._server = self._thread = None

    def __enter__(self) -> FaultProxy:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """What to set AWS_ENDPOINT_URL to."""
        if self._server is None:
            raise RuntimeError("the fault proxy is not running")
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    # --- rules --------------------------------------------------------------------------------

    def add(self, rule: FaultRule) -> FaultRule:
        with self._lock:
            self.rules.append(rule)
        return rule

    def throttle(self, action: str, times: int, **where: str) -> FaultRule:
        """The first `times` matching calls get 400 Throttling, as IAM answers over its rate limit."""
        return self.add(FaultRule(action, "Throttling", 400, "Rate exceeded", times=times, where=where))

    def deny(self, action: str, message: str, **where: str) -> FaultRule:
        """Matching calls get 403 AccessDenied (an SCP, a permissions boundary)."""
        return self.add(FaultRule(action, "AccessDenied", 403, message, where=where))

    def unavailable(self, action: str, status: int = 503, code: str = "ServiceUnavailable") -> FaultRule:
        """Every call of `action` fails on the service's side."""
        message = "Service is unavailable. Please try again later."
        return self.add(FaultRule(action, code, status, message, sender_fault=False))

    def before(self, action: str, hook: Callable[[Call], object], times: int | None = 1, **where: str) -> FaultRule:
        """Run `hook` before forwarding the first `times` matching calls."""
        return self.add(FaultRule(action, times=times, where=where, before=hook))

    def slow_answer(self, action: str, seconds: float, times: int | None = 1, **where: str) -> FaultRule:
        """Forward the first `times` matching calls at once (the change lands), but hold the answer `seconds`."""
        return self.add(FaultRule(action, times=times, where=where, after=lambda _: time.sleep(seconds)))

    def concurrent_modification(self, action: str, times: int = 1, **where: str) -> FaultRule:
        """The first `times` matching calls get 409 ConcurrentModification, as IAM answers a simultaneous change."""
        message = "Multiple requests to change this object were submitted simultaneously. Try again."
        return self.add(FaultRule(action, "ConcurrentModification", 409, message, times=times, where=where))

    def stale_read_back(self, arn: str, times: int) -> FaultRule:
        """After the provider's next update, its next `times` reads answer what IAM held before it (eventual
        consistency): the last GetOpenIDConnectProvider answer recorded before the update is replayed."""
        before_update: list[bytes] = []
        remaining = [0]

        def arm(call: Call) -> None:
            with self._lock:
                body = self._answers.get(("GetOpenIDConnectProvider", arn))
            if body is not None:
                before_update[:] = [body]
                remaining[0] = times

        def replay(call: Call) -> bytes | None:
            if not before_update or remaining[0] <= 0:
                return None
            remaining[0] -= 1
            return before_update[0]

        self.before("UpdateOpenIDConnectProviderThumbprint", arm, times=1, OpenIDConnectProviderArn=arn)
        return self.add(FaultRule("GetOpenIDConnectProvider", where={"OpenIDConnectProviderArn": arn}, answer=replay))

    def without_tags(self, arn: str) -> FaultRule:
        """The provider's reads answer without its Tags, as older IAM endpoints did: its tags must be listed."""

        def strip(body: bytes) -> bytes:
            return re.sub(rb"<Tags>.*?</Tags>|<Tags\s*/>", b"", body, flags=re.DOTALL)

        return self.add(FaultRule("GetOpenIDConnectProvider", where={"OpenIDConnectProviderArn": arn}, rewrite=strip))

    def keep(self, action: str, answer: object) -> FaultRule:
        """Answer every call of a JSON-protocol `action` with `answer` (200) and keep it in `calls`: for an
        operation the emulator does not implement (moto's Config PutEvaluations outside TestMode)."""
        return self.add(FaultRule(action, json_answer=json.dumps(answer)))

    def kept(self, action: str) -> list[object]:
        """The JSON bodies of the calls of `action` the proxy saw, decoded."""
        return [json.loads(call.body) for call in self.calls_of(action) if call.body]

    # --- what happened ------------------------------------------------------------------------

    def calls_of(self, action: str) -> list[Call]:
        with self._lock:
            return [call for call in self.calls if call.action == action]

    def faults(self, action: str | None = None) -> int:
        """How many calls (of `action`, or of any) were answered with an injected error."""
        with self._lock:
            return sum(1 for call in self.calls if call.fault and action in (None, call.action))

    # --- serving (on the proxy's threads) -----------------------------------------------------

    def _decide(self, action: str, params: Mapping[str, str], body: str = "") -> tuple[Call, FaultRule | None]:
        probe = Call(action, params)
        with self._lock:
            rule = next((rule for rule in self.rules if rule.claims(probe)), None)
            call = Call(action, params, rule.code if rule is not None else None, body)
            self.calls.append(call)
        return call, rule

    def _record(self, action: str, arn: str, body: bytes) -> None:
        with self._lock:
            self._answers[(action, arn)] = body

    def _forward(
        self, method: str, target: str, headers: list[tuple[str, str]], body: bytes
    ) -> tuple[int, list[tuple[str, str]], bytes]:
        connection = http.client.HTTPConnection(self.upstream_host, self.upstream_port, timeout=UPSTREAM_TIMEOUT)
        try:
            connection.request(method, target, body=body, headers=dict(headers))
            response = connection.getresponse()
            return response.status, response.getheaders(), response.read()
        finally:
            connection.close()


def _handler_for(proxy: FaultProxy) -> type[BaseHTTPRequestHandler]:  # noqa: C901 - one relay, one branch per kind of fault
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as botocore's connection pool expects

        def do_GET(self) -> None:
            self._relay()

        def do_POST(self) -> None:
            self._relay()

        def do_PUT(self) -> None:
            self._relay()

        def do_DELETE(self) -> None:
            self._relay()

        def _relay(self) -> None:  # noqa: C901 - one branch per kind of fault a rule plants
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            target = self.headers.get("X-Amz-Target")
            if target:  # JSON protocol: Service_Version.Operation
                text = body.decode("utf-8", errors="replace")
                call, rule = proxy._decide(target.rsplit(".", 1)[-1], {}, text)
                params: dict[str, str] = {}
            else:
                params = _query_parameters(self.headers.get("Content-Type", ""), body, self.path)
                call, rule = proxy._decide(params.get("Action", ""), params)
            if rule is not None and rule.json_answer is not None:
                self._answer(200, [("Content-Type", "application/x-amz-json-1.1")], rule.json_answer.encode())
                return
            if rule is not None and rule.code is not None and target:
                error = json.dumps({"__type": rule.code, "message": rule.message}).encode()
                self._answer(rule.status, [("Content-Type", "application/x-amz-json-1.1")], error)
                return
            if rule is not None and rule.code is not None:
                document = error_response(rule.code, rule.message, params.get("Version"), rule.sender_fault)
                self._answer(rule.status, [("Content-Type", "text/xml")], document)
                return
            if rule is not None and rule.before is not None:
                rule.before(call)
            replayed = rule.answer(call) if rule is not None and rule.answer is not None else None
            if replayed is not None:
                self._answer(200, [("Content-Type", "text/xml")], replayed)
                return
            headers = [(name, value) for name, value in self.headers.items() if name.lower() not in _NOT_FORWARDED]
            try:
                status, response_headers, response_body = proxy._forward(self.command, self.path, headers, body)
            except OSError as error:  # the emulator went away: answer as a gateway would
                LOGGER.debug("fault proxy: upstream failed: %s", error)
                self._answer(502, [("Content-Type", "text/plain")], b"bad gateway\n")
                return
            if status == 200 and "OpenIDConnectProviderArn" in params:
                proxy._record(call.action, params["OpenIDConnectProviderArn"], response_body)
            if rule is not None and rule.after is not None:
                rule.after(call)
            if status == 200 and rule is not None and rule.rewrite is not None:
                response_body = rule.rewrite(response_body)
            kept = [(name, value) for name, value in response_headers if name.lower() not in _NOT_FORWARDED]
            self._answer(status, kept, response_body)

        def _answer(self, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
            self.send_response(status)
            for name, value in headers:
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            try:
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):  # the client gave up waiting (its read timeout)
                LOGGER.debug("fault proxy: client went away before the answer")

        def log_message(self, format: str, *args: object) -> None:
            LOGGER.debug("fault proxy: " + format, *args)

    return Handler


def _query_parameters(content_type: str, body: bytes, path: str) -> dict[str, str]:
    """The query-protocol parameters of a request: the form body, else the URL's query string."""
    text = ""
    if content_type.split(";", maxsplit=1)[0].strip().lower() == "application/x-www-form-urlencoded":
        text = body.decode("utf-8", errors="replace")
    elif "?" in path:
        text = path.split("?", 1)[1]
    return {key: values[0] for key, values in parse_qs(text, keep_blank_values=True).items()}


def closed_port(host: str = "127.0.0.1") -> int:
    """A port on `host` that nothing listens on (bound, then released at once)."""
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


def dead_endpoint_url() -> str:
    """An AWS_ENDPOINT_URL where connections are refused: an emulator (or AWS endpoint) that is down."""
    return f"http://127.0.0.1:{closed_port()}"
