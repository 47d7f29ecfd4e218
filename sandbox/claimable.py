"""Issuers someone else could claim, played on 127.0.0.1: a discovery host served by S3 whose bucket was deleted
(the REST endpoint's XML error, a website endpoint's HTML page), and names that do not exist. Importing this module
registers the behaviours and the chain.

A test gives the issuer an S3 name (`MISSING_BUCKET.s3.<region>.amazonaws.com:<port>`) and resolves it to the
issuer's address with `name_resolver`; the chain presented names S3's wildcards, as S3's own certificate does.
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Collection, Mapping
from typing import Any, Final

from sandbox.issuers import Behaviour, IssuerFleet, Reply, register_behaviour
from sandbox.pki import PresentedChain, SandboxPki, chain_recipe

MISSING_BUCKET: Final = "oidc-issuer-gone"
S3_REGION: Final = "us-west-2"
# S3 API reference, "Error responses": what the REST endpoint answers for a bucket that does not exist.
NO_SUCH_BUCKET_XML: Final = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    f"<Error><Code>NoSuchBucket</Code><Message>The specified bucket does not exist</Message>"
    f"<BucketName>{MISSING_BUCKET}</BucketName><RequestId>4442587FB7D0A2F9</RequestId>"
    "<HostId>Yqq4cGvg2ZR0nNn3=</HostId></Error>"
).encode()
# S3 user guide, "Configuring a custom error document": a website endpoint's default error page.
NO_SUCH_BUCKET_HTML: Final = (
    "<html>\n<head><title>404 Not Found</title></head>\n<body>\n<h1>404 Not Found</h1>\n<ul>\n"
    "<li>Code: NoSuchBucket</li>\n<li>Message: The specified bucket does not exist</li>\n"
    f"<li>BucketName: {MISSING_BUCKET}</li>\n<li>RequestId: 0B3A4C5D6E7F</li>\n<li>HostId: AbCdEf=</li>\n"
    "</ul>\n<hr/>\n</body>\n</html>\n"
).encode()
S3_NAMES: Final = (
    f"*.s3.{S3_REGION}.amazonaws.com",
    f"*.s3-{S3_REGION}.amazonaws.com",
    f"*.s3-website-{S3_REGION}.amazonaws.com",
    "*.s3.amazonaws.com",
)


@chain_recipe("s3_wildcard")
def _s3_wildcard(pki: SandboxPki) -> PresentedChain:
    leaf = pki.leaf(pki.public_intermediate, dns_names=S3_NAMES, ip_addresses=())
    return pki.presented("s3_wildcard", leaf, pki.public_intermediate)


for _behaviour in (
    Behaviour(
        "s3_no_such_bucket",
        "an S3 REST endpoint whose bucket was deleted: every request answers 404 NoSuchBucket (XML)",
        chain="s3_wildcard",
        respond=lambda _: Reply(404, NO_SUCH_BUCKET_XML, "application/xml"),
    ),
    Behaviour(
        "s3_website_no_such_bucket",
        "an S3 website endpoint (behind CloudFront or a CNAME) whose bucket was deleted: 404 with S3's HTML page",
        chain="s3_wildcard",
        respond=lambda _: Reply(404, NO_SUCH_BUCKET_HTML, "text/html; charset=utf-8"),
    ),
):
    register_behaviour(_behaviour)


def name_resolver(
    fleet: IssuerFleet, names: Mapping[str, str], missing: Collection[str] = ()
) -> Callable[[str, int], list[tuple[Any, ...]]]:
    """A resolver for OidcProber: each of `names` resolves to its address, each of `missing` does not exist
    (getaddrinfo's EAI_NONAME, as for NXDOMAIN); anything else as the fleet resolves it."""

    def resolve(host: str, port: int) -> list[tuple[Any, ...]]:
        if host in missing:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        if host in names:
            return [(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (names[host], port))]
        return fleet.resolve(host, port)

    return resolve
