"""The real probe against a real TLS server serving generated documents, headers and chains, swept with IAM on
moto: every example yields exactly one finding, never `internal_error`, never a write from a chain that did
not verify.

One long-lived issuer whose answers and chain are swapped per example; chains are drawn from a small pool of
pre-generated certificates, malformed ones included. `FUZZ_EXAMPLES` sets the number of examples (`make fuzz`
runs thousands); the seed is fixed (derandomize), so a failure replays.
"""

from __future__ import annotations

import json
import logging
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.verification import PolicyBuilder, Store, VerificationError
from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st

from sandbox.environment import Sandbox
from sandbox.issuers import Behaviour, Issuer, Reply, Request
from sandbox.lambda_context import ACCOUNT_ID
from sandbox.odd_certificates import duplicated_extension_leaf, malformed_extension_leaf
from sandbox.pki import KeyedCertificate, PresentedChain, SandboxPki, issue_leaf, sha1_thumbprint
from thumbprint_remediator.app.request import SweepRequest
from thumbprint_remediator.app.settings import Settings
from thumbprint_remediator.app.sweep import Sweeper
from thumbprint_remediator.aws.inventory import IamOidcProviders
from thumbprint_remediator.domain.views import to_builtins
from thumbprint_remediator.tls import probe
from thumbprint_remediator.tls.connection import ProbeLimits
from thumbprint_remediator.tls.probe import OidcProber
from thumbprint_remediator.tls.trust import TrustEvaluator

FUZZ_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "300"))
# The failure codes the probe documents: every probe failure must be one of them.
PROBE_CODES = frozenset(re.findall(r"\b[a-z0-9]+(?:_[a-z0-9]+)+\b", (probe.__doc__ or "").split("- unreachable:")[1]))
PROBE_STATUSES = frozenset({"unreachable", "invalid_discovery"})
LIMITS = ProbeLimits(connect_timeout=1.0, read_timeout=1.0, host_budget=3.0)


# --- the pool of certificates -----------------------------------------------------------------------------


@dataclass(frozen=True)
class CertificatePool:
    """Leaves OpenSSL will serve (with their keys), and certificates to send after them."""

    leaves: dict[str, KeyedCertificate]
    after_leaf: dict[str, x509.Certificate]


def certificate_pool(pki: SandboxPki) -> CertificatePool:
    now = pki.now
    leaves = {
        "public_leaf": pki.leaf(pki.public_intermediate),
        "private_leaf": pki.leaf(pki.private_intermediate),
        "expired_leaf": pki.leaf(
            pki.public_intermediate, not_before=now - timedelta(days=30), not_after=now - timedelta(days=1)
        ),
        "self_signed_leaf": pki.leaf(None),
        "wrong_name_leaf": pki.leaf(pki.public_intermediate, dns_names=("wrong.example",), ip_addresses=()),
        "rotated_leaf": pki.leaf(pki.rotated_intermediate),
    }
    after_leaf = {
        "public_intermediate": pki.public_intermediate.certificate,
        "rotated_intermediate": pki.rotated_intermediate.certificate,
        "public_root": pki.public_root.certificate,
        "private_intermediate": pki.private_intermediate.certificate,
        "private_root": pki.private_root.certificate,
        "unrelated_root": pki.unrelated_root.certificate,
        "interception_intermediate": pki.interception_intermediate.certificate,
        "other_leaf": issue_leaf(pki.public_intermediate, now - timedelta(days=1), now + timedelta(days=9)).certificate,
        "duplicated_extension": duplicated_extension_leaf(pki.public_intermediate, now).certificate,
        "malformed_extension": malformed_extension_leaf(pki.public_intermediate, now).certificate,
    }
    return CertificatePool(leaves, after_leaf)


def _der(certificate: x509.Certificate) -> bytes:
    return certificate.public_bytes(Encoding.DER)


def verifies(pki: SandboxPki, chain: PresentedChain, pinned: set[str], now: datetime) -> bool:
    """The test's own oracle: does the chain verify for `localhost` against the public roots, the public roots
    plus the private root, or the pinned certificates it presents?"""
    stores = [list(pki.public_roots), [*pki.public_roots, *pki.extra_cas]]
    stores.append([cert for cert in chain.certificates if sha1_thumbprint(cert) in pinned])
    for anchors in stores:
        if not anchors:
            continue
        try:
            intermediates = [x509.load_der_x509_certificate(_der(cert)) for cert in chain.certificates[1:]]
            PolicyBuilder().store(Store(anchors)).time(now).build_server_verifier(x509.DNSName("localhost")).verify(
                chain.leaf, intermediates
            )
        except (VerificationError, ValueError):
            continue
        return True
    return False


# --- what the issuer answers ------------------------------------------------------------------------------


@dataclass
class Script:
    """What the scripted issuer answers right now; swapped per example."""

    discovery: Reply = field(default_factory=Reply.not_found)
    jwks: Reply = field(default_factory=Reply.not_found)

    def respond(self, request: Request) -> Reply:
        if request.is_discovery:
            return self.discovery
        if request.is_jwks:
            return self.jwks
        return Reply.not_found()


@dataclass(frozen=True)
class Answer:
    """A generated HTTP answer: status, body and how it is framed."""

    status: int
    body: bytes
    framing: str
    headers: tuple[tuple[str, str], ...] = ()

    def reply(self) -> Reply:
        body = self.body
        if self.framing == "short_body":  # announces more than it sends, then closes

            def short() -> Iterator[bytes]:
                yield body

            return Reply(self.status, stream=short, length=len(body) + 17, close=True, headers=self.headers)
        if self.framing == "long_body":  # sends more than it announces

            def long() -> Iterator[bytes]:
                yield body + b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}"

            return Reply(self.status, stream=long, length=len(body), headers=self.headers)
        if self.framing == "bad_chunk":
            return Reply(
                self.status, b"zz\r\n" + body, headers=(*self.headers, ("Transfer-Encoding", "chunked")), close=True
            )
        return Reply(
            self.status,
            body,
            headers=self.headers,
            chunked=self.framing == "chunked",
            close=self.framing == "close",
        )


JSON_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats()
    | st.text(max_size=8)
)
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=6), children, max_size=3),
    max_leaves=8,
)
ODD_HOSTS = (
    "bücher.invalid",
    "xn--a-.invalid",
    "xn--bcher-kva.invalid",
    "a..b",
    "-x-.invalid",
    "localhost:0",
    "localhost:65536",
    "localhost:+1",
    "user:pw@{endpoint}",
    "[::1",
    "{endpoint}\\@x.invalid",
    "LOCALHOST:{port}",
    "localhost:1",
    "127.0.0.1:{port}",
    "[::1]:1",
)
HEADER_ODDITIES = (
    ("Content-Length", "abc"),
    ("Content-Length", "-5"),
    ("Content-Length", "999999999999999999999"),
    ("Transfer-Encoding", "gzip"),
    ("Transfer-Encoding", "chunked, chunked"),
    ("Connection", "close"),
    ("X-Long", "a" * 70_000),
    ("Content-Type", "text/html; charset=\x01"),
)


# What an example may get wrong; each example perturbs a few of them (often none), the rest is right.
_ANSWER_ASPECTS = ("status", "body", "encoding", "headers", "framing")
ASPECTS = (
    "chain",
    "issuer",
    "jwks_uri",
    "extra_fields",
    "jwks_keys",
    *(f"{document}_{aspect}" for document in ("discovery", "jwks") for aspect in _ANSWER_ASPECTS),
)
odd_aspects = st.one_of(st.just(frozenset[str]()), st.frozensets(st.sampled_from(ASPECTS), min_size=1, max_size=3))


@st.composite
def urls(draw: st.DrawFn, endpoint: str, port: int, path: str) -> object:
    """An odd jwks_uri (never a host that is neither loopback nor invalid, so nothing leaves the machine)."""
    kind = draw(st.sampled_from(["odd_path", "odd_host", "odd_host", "not_a_string", "relative", "http"]))
    if kind == "odd_path":
        return f"https://{endpoint}/" + draw(st.text(max_size=12))
    if kind == "odd_host":
        host = draw(st.sampled_from(ODD_HOSTS)).format(endpoint=endpoint, port=port)
        return f"https://{host}{path}"
    if kind == "not_a_string":
        return draw(JSON_VALUES)
    if kind == "relative":
        return path + draw(st.text(max_size=4))
    return f"http://{endpoint}{path}"


def _encoded(draw: st.DrawFn, document: dict[str, Any], odd: bool) -> bytes:
    text = json.dumps(document)
    tweak = draw(st.sampled_from(["duplicate_key", "deep", "huge_number", "raw_suffix"])) if odd else "none"
    if tweak == "duplicate_key" and text.startswith("{") and len(text) > 2:
        key = draw(st.sampled_from(["issuer", "jwks_uri", "keys", "x"]))
        text = "{" + json.dumps(key) + ": " + json.dumps(draw(JSON_VALUES)) + ", " + text[1:]
    elif tweak == "deep" and text.endswith("}") and len(text) > 2:
        depth = draw(st.sampled_from([50, 2_000, 50_000]))
        text = text[:-1] + ', "deep": ' + "[" * depth + "]" * depth + "}"
    elif tweak == "huge_number" and text.endswith("}") and len(text) > 2:
        digits = draw(st.sampled_from([400, 4_000, 5_000]))  # past int's 4300-digit parsing limit, sometimes
        text = text[:-1] + ', "huge": ' + "9" * digits + "}"
    elif tweak == "raw_suffix":
        text += draw(st.text(max_size=4))
    return text.encode("utf-8", "surrogatepass")


@st.composite
def answers(draw: st.DrawFn, document: dict[str, Any], endpoint: str, odd: frozenset[str], name: str) -> Answer:
    status = draw(st.sampled_from([204, 302, 404, 500])) if f"{name}_status" in odd else 200
    body_kind = draw(st.sampled_from(["json", "binary"])) if f"{name}_body" in odd else "document"
    if body_kind == "document":
        body = _encoded(draw, document, f"{name}_encoding" in odd)
    elif body_kind == "json":
        body = _encoded(draw, {"value": draw(JSON_VALUES)}, False)
    else:
        body = draw(st.binary(max_size=64))
    headers: tuple[tuple[str, str], ...] = ()
    if status == 302:
        location = draw(
            st.sampled_from(["", "/elsewhere", "https://[::1", f"https://{endpoint}/x y", "http://a.invalid/", "/é"])
        )
        headers = (("Location", location),)
    if f"{name}_headers" in odd:
        headers = (*headers, draw(st.sampled_from(HEADER_ODDITIES)))
    framing = "length"
    if f"{name}_framing" in odd:
        framing = draw(st.sampled_from(["chunked", "close", "short_body", "long_body", "bad_chunk"]))
    return Answer(status, body, framing, headers)


@st.composite
def discovery_documents(draw: st.DrawFn, issuer: Issuer, odd: frozenset[str]) -> dict[str, Any]:
    endpoint = str(issuer.discovery.endpoint)
    document: dict[str, Any] = {"issuer": issuer.issuer_url, "jwks_uri": issuer.jwks_uri}
    if "issuer" in odd:
        kind = draw(st.sampled_from(["slash", "wrong", "missing", "odd"]))
        if kind == "slash":
            document["issuer"] = issuer.issuer_url + "/"
        elif kind == "wrong":
            document["issuer"] = draw(st.sampled_from(["https://other.invalid", issuer.issuer_url.upper(), ""]))
        elif kind == "missing":
            del document["issuer"]
        else:
            document["issuer"] = draw(JSON_VALUES)
    if "jwks_uri" in odd:
        if draw(st.integers(0, 5)):
            document["jwks_uri"] = draw(urls(endpoint, issuer.discovery.endpoint.port, issuer.jwks_target))
        else:
            del document["jwks_uri"]
    if "extra_fields" in odd:
        document.update(draw(st.dictionaries(st.text(max_size=6), JSON_VALUES, max_size=2)))
    return document


@st.composite
def jwks_documents(draw: st.DrawFn, jwk: dict[str, str], odd: frozenset[str]) -> dict[str, Any]:
    if "jwks_keys" not in odd:
        return {"keys": [jwk]}
    return {"keys": draw(st.just([]) | JSON_VALUES)}


# Chains that verify, one way or another, for the examples whose chain is not odd.
SOUND_CHAINS = (
    ("public_leaf", ("public_intermediate",)),
    ("public_leaf", ("public_intermediate", "public_root")),
    ("rotated_leaf", ("rotated_intermediate",)),
    ("private_leaf", ("private_intermediate",)),
    ("private_leaf", ("private_intermediate", "private_root")),
)


@st.composite
def chains(draw: st.DrawFn, pool: CertificatePool, odd: frozenset[str]) -> tuple[str, tuple[str, ...]]:
    if "chain" not in odd:
        return draw(st.sampled_from(SOUND_CHAINS))
    leaf = draw(st.sampled_from(sorted(pool.leaves)))
    after = draw(st.lists(st.sampled_from(sorted(pool.after_leaf)), max_size=4))
    return leaf, tuple(after)


# --- the test -----------------------------------------------------------------------------------------


@dataclass
class Rig:
    sandbox: Sandbox
    pool: CertificatePool
    script: Script
    issuer: Issuer
    arn: str
    sweeper: Sweeper
    chains: dict[tuple[str, tuple[str, ...]], PresentedChain | None] = field(default_factory=dict)

    def present(self, leaf: str, after: tuple[str, ...]) -> PresentedChain | None:
        """Let the issuer present this chain; None when OpenSSL will not serve it."""
        key = (leaf, after)
        if key not in self.chains:
            keyed = self.pool.leaves[leaf]
            chain = PresentedChain(
                f"fuzz-{leaf}-{'-'.join(after)}",
                (keyed.certificate, *(self.pool.after_leaf[name] for name in after)),
                keyed.key,
            )
            try:
                self.sandbox.fleet.present(self.issuer, chain)
            except OSError:  # ssl.SSLError: OpenSSL refuses to load it
                self.chains[key] = None
                return None
            self.chains[key] = chain
        presented = self.chains[key]
        if presented is not None:
            self.sandbox.fleet.present(self.issuer, presented)
        return presented


@pytest.fixture
def rig(sandbox: Sandbox) -> Rig:
    """One scripted issuer registered as a provider, and a sweeper built from the real adapters, on moto."""
    script = Script()
    issuer = sandbox.fleet.add(Behaviour("fuzz-scripted", "answers whatever the test scripts", respond=script.respond))
    provider = sandbox.register(issuer, pinned="stale")
    sweeper = Sweeper(
        settings=Settings(dry_run=False, notify_on="never", max_workers=1, host_budget=LIMITS.host_budget),
        inventory=IamOidcProviders(client=sandbox.account.iam),
        prober=OidcProber(LIMITS),
        trust=TrustEvaluator(sandbox.pki.public_roots, sandbox.pki.extra_cas),
        publisher=None,
        log=logging.getLogger("fuzz-sweep"),
    )
    return Rig(sandbox, certificate_pool(sandbox.pki), script, issuer, provider.arn, sweeper)


@settings(
    max_examples=FUZZ_EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(data=st.data())
def test_generated_documents_headers_and_chains_give_one_clean_finding_and_no_unverified_write(
    rig: Rig, data: st.DataObject
) -> None:
    # Given the issuer presenting a generated chain and serving generated answers, and a generated pin list
    odd = data.draw(odd_aspects, label="odd aspects")
    leaf, after = data.draw(chains(rig.pool, odd), label="chain")
    chain = rig.present(leaf, after)
    assume(chain is not None)
    assert chain is not None
    endpoint = str(rig.issuer.discovery.endpoint)
    document = data.draw(discovery_documents(rig.issuer, odd), label="discovery document")
    rig.script.discovery = data.draw(answers(document, endpoint, odd, "discovery"), label="discovery answer").reply()
    jwk = rig.issuer.jwks_document()["keys"][0]  # type: ignore[index]
    jwks = data.draw(jwks_documents(jwk, odd), label="jwks document")
    rig.script.jwks = data.draw(answers(jwks, endpoint, odd, "jwks"), label="jwks answer").reply()
    pins = data.draw(st.sampled_from(["stale", "stale", "top", "public_intermediate", "leaf"]), label="pinned")
    pinned = {
        "stale": ["0" * 40],
        "top": [sha1_thumbprint(chain.top_certificate)],
        "public_intermediate": [rig.sandbox.pki.public_intermediate.sha1],
        "leaf": [sha1_thumbprint(chain.leaf)],
    }[pins]
    iam = rig.sandbox.account.iam
    iam.update_open_id_connect_provider_thumbprint(OpenIDConnectProviderArn=rig.arn, ThumbprintList=pinned)

    # When the provider is swept (for real: IAM on moto, no dry run)
    report = to_builtins(
        rig.sweeper.run(SweepRequest(source="manual", providers=(rig.arn,), notify="never"), account=ACCOUNT_ID)
    )
    after_sweep = iam.get_open_id_connect_provider(OpenIDConnectProviderArn=rig.arn)["ThumbprintList"]

    # Then there is exactly one finding, for this provider, and no internal error
    assert [finding["arn"] for finding in report["findings"]] == [rig.arn]
    (finding,) = report["findings"]
    codes = [problem["code"] for problem in finding["problems"]]
    event(f"status {finding['status']}, action {finding['action']}")
    for code in codes:
        event(f"problem {code}")
    assert "internal_error" not in codes, finding
    # ... every probe failure is a documented code
    probe_codes = {problem["code"] for problem in finding["problems"] if problem["status"] in PROBE_STATUSES}
    assert probe_codes <= PROBE_CODES, finding
    # ... and a changed list means the chain verified, and only presented certificates were added
    if after_sweep != pinned:
        event("written")
        assert verifies(rig.sandbox.pki, chain, set(pinned), datetime.now(UTC))
        presented = {sha1_thumbprint(cert) for cert in chain.certificates}
        assert set(after_sweep) - set(pinned) <= presented, (after_sweep, pinned)
