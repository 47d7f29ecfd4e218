"""Issuers that send odd input: URLs no client can fetch as written, JSON that parsers disagree on, HTTP
framing that lies, certificates that parse but are malformed. Each must become one clean finding.

Importing this module registers its behaviours (and, through sandbox.odd_certificates, its chains).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Final

import sandbox.odd_certificates  # noqa: F401 - registers the malformed-certificate chains
from sandbox.issuers import Behaviour, Reply, Request, on_discovery, on_jwks, register_behaviour

# jwks_uri values by what is wrong with them; "{endpoint}" is the issuer's own host:port.
ODD_JWKS_URIS: Final = {
    "jwks_uri_non_ascii_path": ("a non-ASCII path (unencoded é)", "https://{endpoint}/kéys"),
    "jwks_uri_space_in_path": ("a space in the path", "https://{endpoint}/my keys"),
    "jwks_uri_control_in_query": ("a control character in the query", "https://{endpoint}/keys?v=\x01"),
    "jwks_uri_idn_host": ("an IDN host written in Unicode", "https://bücher.invalid/keys"),
    "jwks_uri_bad_punycode": ("a host label that is not valid punycode", "https://xn--a-.invalid/keys"),
    "jwks_uri_userinfo": ("user information before the host", "https://user:secret@{endpoint}/keys"),
    "jwks_uri_port_zero": ("port 0", "https://localhost:0/keys"),
    "jwks_uri_port_too_large": ("port 99999", "https://localhost:99999/keys"),
    "jwks_uri_broken_ipv6": ("an unclosed IPv6 bracket", "https://[::1/keys"),
    "jwks_uri_not_a_string": ("a number instead of a URL", 443),
}


def _discovery_with_jwks_uri(value: object) -> Callable[[Request], Reply]:
    def answer(request: Request) -> Reply:
        document = request.issuer.discovery_document()
        document["jwks_uri"] = value.format(endpoint=request.endpoint.endpoint) if isinstance(value, str) else value
        return Reply.json(document)

    return answer


def _raw_discovery(text: Callable[[Request], str]) -> Callable[[Request], Reply]:
    return lambda request: Reply(200, text(request).encode())


def _duplicate_issuer(request: Request) -> str:
    # The first issuer is right, the second one not: parsers that keep the first and those that keep the last
    # would judge the same document differently.
    issuer = request.issuer
    return f'{{"issuer": "{issuer.issuer_url}", "jwks_uri": "{issuer.jwks_uri}", "issuer": "https://other.invalid"}}'


def _deeply_nested(request: Request) -> str:
    issuer = request.issuer
    return f'{{"issuer": "{issuer.issuer_url}", "jwks_uri": "{issuer.jwks_uri}", "x": {"[" * 100_000}{"]" * 100_000}}}'


def _huge_number(request: Request) -> str:
    issuer = request.issuer
    return f'{{"issuer": "{issuer.issuer_url}", "jwks_uri": "{issuer.jwks_uri}", "exp": {"9" * 5000}}}'


def _short_body(request: Request) -> Reply:
    """Announces more bytes than it sends, then closes."""
    body = Reply.json(request.issuer.discovery_document()).body

    def pieces() -> Iterator[bytes]:
        yield body

    return Reply(200, stream=pieces, length=len(body) + 100, close=True)


def _long_body(request: Request) -> Reply:
    """Sends more bytes than it announces: the rest would be read as the next response (the JWKS)."""
    body = Reply.json(request.issuer.discovery_document()).body

    def pieces() -> Iterator[bytes]:
        yield body + b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}"

    return Reply(200, stream=pieces, length=len(body))


def _bad_chunk_size(_: Request) -> Reply:
    """Transfer-Encoding: chunked with a chunk size that is not hexadecimal."""
    return Reply(200, b"zz\r\n{}\r\n0\r\n\r\n", headers=(("Transfer-Encoding", "chunked"),), close=True)


def _two_content_lengths(request: Request) -> Reply:
    body = Reply.json(request.issuer.discovery_document()).body
    return Reply(200, body, headers=(("Content-Length", str(len(body) + 7)),), close=True)


ODD_BEHAVIOURS: Final = (
    *(
        Behaviour(name, f"jwks_uri with {summary}", respond=on_discovery(_discovery_with_jwks_uri(value)))
        for name, (summary, value) in ODD_JWKS_URIS.items()
    ),
    Behaviour(
        "discovery_duplicate_key",
        "the discovery document names `issuer` twice (the right one, then another)",
        respond=on_discovery(_raw_discovery(_duplicate_issuer)),
    ),
    Behaviour(
        "discovery_deeply_nested",
        "the discovery document nests 100,000 arrays",
        respond=on_discovery(_raw_discovery(_deeply_nested)),
    ),
    Behaviour(
        "discovery_huge_number",
        "the discovery document holds a 5,000-digit number",
        respond=on_discovery(_raw_discovery(_huge_number)),
    ),
    Behaviour(
        "content_length_too_long",
        "announces 100 bytes more than it sends, then closes",
        respond=on_discovery(_short_body),
    ),
    Behaviour(
        "content_length_too_short",
        "sends a second response after the announced body",
        respond=on_discovery(_long_body),
    ),
    Behaviour(
        "two_content_lengths",
        "two Content-Length headers that disagree",
        respond=on_discovery(_two_content_lengths),
    ),
    Behaviour(
        "bad_chunk_size", "chunked, with a chunk size that is not hexadecimal", respond=on_discovery(_bad_chunk_size)
    ),
    Behaviour(
        "jwks_duplicate_key",
        "the JWKS names `keys` twice",
        respond=on_jwks(lambda _: Reply(200, b'{"keys": [], "keys": [{"kty": "EC"}]}')),
    ),
    Behaviour(
        "duplicated_extension",
        "sends, after its leaf, a certificate carrying basicConstraints twice",
        "duplicated_extension",
    ),
    Behaviour(
        "malformed_extension",
        "sends, after its leaf, a certificate whose keyUsage does not decode",
        "malformed_extension",
    ),
)
for _behaviour in ODD_BEHAVIOURS:
    register_behaviour(_behaviour)
