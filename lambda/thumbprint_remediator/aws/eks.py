"""EKS adapter: one region's clusters and their OIDC issuers, read once per region per sweep and shared by every
EKS provider of that region (domain/posture/eks.py judges dead providers and clusters without one)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from botocore.exceptions import BotoCoreError, ClientError

from thumbprint_remediator.aws.clients import Clients, describe_error, worst_case_seconds
from thumbprint_remediator.contract.permissions import Permissions
from thumbprint_remediator.domain.posture import EksCluster

if TYPE_CHECKING:
    import boto3

# What this adapter calls (contract.py collects it for infra): ListClusters cannot be scoped to a resource;
# DescribeCluster can, to the account's clusters.
PERMISSIONS: Final = (
    Permissions(
        actions=("eks:ListClusters",),
        resource="any",
        when="posture: one paginated pass per swept region, shared by the region's EKS providers",
    ),
    Permissions(
        actions=("eks:DescribeCluster",),
        resource="eks-clusters",
        when="posture: once per cluster listed, for its OIDC issuer",
    ),
)
# ListClusters' largest page (maxResults 1-100).
PAGE_SIZE: Final = 100
# A token that never ends (a faulty endpoint) must not hold the sweep: far beyond any account's clusters.
MAX_PAGES: Final = 100


@dataclass(frozen=True)
class ClusterListing:
    """One region's clusters as one pass read them. `complete` is False when it stopped early (out of time, EKS
    refused or failed): then `failure` says why, and the clusters it did not reach are unknown, not absent."""

    region: str
    clusters: tuple[EksCluster, ...]
    complete: bool
    failure: str | None = None
    calls: int = 0


class EksClusters:
    """The account's clusters, region by region, read with the bounded read client (clients.py): every call has
    its timeouts and retries, and a pass given a `deadline` (time.monotonic) sends no call whose worst case would
    pass it. One client per region, built on first use and kept."""

    def __init__(
        self,
        session: boto3.Session | None = None,
        page_size: int = PAGE_SIZE,
        clock: Callable[[], float] = time.monotonic,
        client_for: Callable[[str], Any] | None = None,
    ) -> None:
        self._client_for = client_for or (lambda region: Clients(session).client("eks", "read", region=region))
        self._clients: dict[str, Any] = {}
        self._page_size = page_size
        self._clock = clock

    def list_clusters(self, region: str, deadline: float | None = None) -> ClusterListing:
        """Every cluster of `region` with its OIDC issuer: ListClusters page by page, then DescribeCluster for
        each. Never raises for EKS's sake: a failure or the deadline makes the listing incomplete, with a reason."""
        progress = _Progress(deadline, self._clock)
        try:
            client = self._client(region)
            for name in self._names(client, progress):
                progress.admit(f"out of time after describing {len(progress.clusters)} clusters")
                try:
                    described: Any = progress.call(client.describe_cluster, name=name)
                except ClientError as error:
                    if error.response.get("Error", {}).get("Code") == "ResourceNotFoundException":
                        continue  # deleted since it was listed: absent, as a later listing would say
                    raise _Stopped(f"cannot describe cluster {name}: {describe_error(error)}") from None
                except BotoCoreError as error:
                    raise _Stopped(f"cannot describe cluster {name}: {describe_error(error)}") from None
                progress.clusters.append(_cluster(described.get("cluster", {}), name, region))
        except _Stopped as stopped:
            return ClusterListing(region, tuple(progress.clusters), False, str(stopped), progress.calls)
        return ClusterListing(region, tuple(progress.clusters), True, None, progress.calls)

    def _names(self, client: Any, progress: _Progress) -> list[str]:
        names: list[str] = []
        token: str | None = None
        for _ in range(MAX_PAGES):
            progress.admit(f"out of time after listing {len(names)} clusters")
            try:
                page: Any = progress.call(
                    client.list_clusters, maxResults=self._page_size, **({"nextToken": token} if token else {})
                )
            except (ClientError, BotoCoreError) as error:
                raise _Stopped(f"cannot list clusters after {len(names)}: {describe_error(error)}") from None
            names.extend(str(name) for name in page.get("clusters", []))
            token = page.get("nextToken")
            if not token:
                return names
        raise _Stopped(f"stopped after {MAX_PAGES} pages of clusters")

    def _client(self, region: str) -> Any:
        if region not in self._clients:
            try:
                self._clients[region] = self._client_for(region)
            except (BotoCoreError, ClientError, ValueError) as error:  # ValueError: botocore refuses the region
                raise _Stopped(f"no EKS client for {region}: {describe_error(error)}") from None
        return self._clients[region]


class _Stopped(Exception):
    """Ends a pass early; its text is the listing's `failure`."""


class _Progress:
    """What one pass has read and called so far, and its deadline."""

    def __init__(self, deadline: float | None, clock: Callable[[], float]) -> None:
        self.deadline = deadline
        self.clock = clock
        self.calls = 0
        self.clusters: list[EksCluster] = []

    def admit(self, reason: str) -> None:
        """Stop with `reason` when one more call's worst case would pass the deadline."""
        if self.deadline is not None and self.deadline - self.clock() < worst_case_seconds("read"):
            raise _Stopped(reason)

    def call(self, operation: Callable[..., Any], **arguments: Any) -> Any:
        self.calls += 1
        return operation(**arguments)


def _cluster(entry: Any, name: str, region: str) -> EksCluster:
    identity = entry.get("identity") or {}
    issuer = (identity.get("oidc") or {}).get("issuer")
    return EksCluster(
        name=str(entry.get("name") or name),
        arn=str(entry.get("arn", "")),
        region=region,
        issuer=str(issuer) if issuer else None,
        status=str(entry.get("status", "")),
    )
