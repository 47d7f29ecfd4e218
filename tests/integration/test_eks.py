"""The EKS adapter against the emulated EKS (moto in server mode, which gives each cluster an OIDC issuer): one
region's clusters listed page by page and described, calls bounded by a deadline, failures reported as an
incomplete listing, exactly the declared actions called; and the dead-provider judgments on what it read (a deleted
cluster leaves its provider behind: eksctl #3843)."""

from __future__ import annotations

import socket
import time
import uuid
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from sandbox.aws import ACCOUNT_ID, CREDENTIALS, REGION
from sandbox.aws_calls import CallRecorder
from sandbox.environment import Sandbox
from thumbprint_remediator.aws import eks as eks_adapter
from thumbprint_remediator.aws.eks import EksClusters
from thumbprint_remediator.aws.inventory import IamOidcProviders
from thumbprint_remediator.domain.posture import (
    EKS_CLUSTER_GONE,
    EKS_CLUSTER_WITHOUT_PROVIDER,
    eks_cluster_gone,
    eks_clusters_without_provider,
    eks_region,
)

OTHER_REGION = "eu-west-1"
GONE_REGION = "us-west-2"


def _session(endpoint_url: str) -> boto3.Session:
    class _Session(boto3.Session):
        def client(self, *args: Any, **kwargs: Any) -> Any:
            return super().client(*args, endpoint_url=endpoint_url, **kwargs)  # type: ignore[call-overload]

    return _Session(
        aws_access_key_id=CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        region_name=REGION,
    )


def _eks(sandbox: Sandbox, region: str) -> Any:
    return _session(sandbox.account.endpoint_url).client("eks", region_name=region)


@pytest.fixture
def clusters(sandbox: Sandbox) -> Iterator[dict[str, dict[str, Any]]]:
    """A cluster with its IAM provider (`app`), a cluster without one in another region (`bare`), and a cluster
    deleted after its provider was made (`deleted`, alone in its region). Each in a region of its own: moto gives
    every cluster of a region the same issuer (one random ID per process). Clusters are deleted afterwards (they
    outlive sandbox.clear(), which deletes the providers)."""
    suffix = uuid.uuid4().hex[:8]
    wanted = {"app": REGION, "deleted": GONE_REGION, "bare": OTHER_REGION}
    made: dict[str, dict[str, Any]] = {}
    for key, region in wanted.items():
        cluster = _eks(sandbox, region).create_cluster(
            name=f"{key}-{suffix}",
            roleArn=f"arn:aws:iam::{ACCOUNT_ID}:role/eks-cluster",
            resourcesVpcConfig={"subnetIds": []},
        )["cluster"]
        made[key] = {"name": cluster["name"], "region": region, "issuer": cluster["identity"]["oidc"]["issuer"]}
        if key != "bare":
            made[key]["provider_arn"] = sandbox.account.create_provider(cluster["identity"]["oidc"]["issuer"], [])
    _eks(sandbox, GONE_REGION).delete_cluster(name=made["deleted"]["name"])
    try:
        yield made
    finally:
        for key, cluster in made.items():
            if key != "deleted":
                _eks(sandbox, cluster["region"]).delete_cluster(name=cluster["name"])


def test_one_pass_per_region_lists_its_clusters_and_finds_the_dead_provider(
    sandbox: Sandbox, clusters: dict[str, dict[str, Any]], aws_calls: CallRecorder
) -> None:
    # Given the account's providers, and the adapter reading one cluster per page
    inventory = IamOidcProviders(client=sandbox.account.iam)
    providers = [inventory.get(arn) for arn in inventory.list_arns()]
    by_arn = {provider.arn: provider for provider in providers}
    dead, live = by_arn[clusters["deleted"]["provider_arn"]], by_arn[clusters["app"]["provider_arn"]]
    adapter = EksClusters(session=_session(sandbox.account.endpoint_url), page_size=1)

    # When each provider's region (read from its issuer host) is listed once
    regions = sorted({region for provider in providers if (region := eks_region(provider.url))})
    listings = {region: adapter.list_clusters(region, deadline=time.monotonic() + 60) for region in regions}

    # Then each listing is complete and holds its region's live clusters with their issuers
    assert regions == sorted({REGION, GONE_REGION})
    assert all((listing.complete, listing.failure) == (True, None) for listing in listings.values())
    here = {cluster.name: cluster for cluster in listings[REGION].clusters}
    assert here[clusters["app"]["name"]].issuer == clusters["app"]["issuer"]
    assert here[clusters["app"]["name"]].arn.endswith(f":{ACCOUNT_ID}:cluster/{clusters['app']['name']}")
    assert clusters["deleted"]["name"] not in {c.name for c in listings[GONE_REGION].clusters}
    # And the provider whose cluster was deleted is a warning; the live cluster's provider is not
    problem = eks_cluster_gone(dead, listings[GONE_REGION].clusters, (), complete=True)
    assert problem is not None
    assert (problem.code, problem.severity) == (EKS_CLUSTER_GONE, "warning")
    assert f"no EKS cluster in {GONE_REGION} has the issuer {dead.url}" in problem.message
    assert eks_cluster_gone(live, listings[REGION].clusters, (), complete=True) is None
    # And it called exactly what the adapter declares: pages of one cluster, then one DescribeCluster per cluster
    declared = {action for permissions in eks_adapter.PERMISSIONS for action in permissions.actions}
    assert aws_calls.actions() == declared == {"eks:ListClusters", "eks:DescribeCluster"}
    assert len(aws_calls.calls) == sum(listing.calls for listing in listings.values())
    described = [call for call in aws_calls.calls if call.operation == "DescribeCluster"]
    assert len(described) == sum(len(listing.clusters) for listing in listings.values())


def test_a_cluster_of_a_swept_region_without_a_provider_is_information(
    sandbox: Sandbox, clusters: dict[str, dict[str, Any]]
) -> None:
    # Given the account's providers, none for the cluster of the other region
    inventory = IamOidcProviders(client=sandbox.account.iam)
    providers = [inventory.get(arn) for arn in inventory.list_arns()]
    adapter = EksClusters(session=_session(sandbox.account.endpoint_url))

    # When that region is listed and judged
    far = adapter.list_clusters(OTHER_REGION)
    problems = eks_clusters_without_provider(far.clusters, providers, complete=True)

    # Then its cluster, and only it, is named as information
    assert far.complete
    assert {cluster.region for cluster in far.clusters} == {OTHER_REGION}
    assert [(p.code, p.severity) for p in problems] == [(EKS_CLUSTER_WITHOUT_PROVIDER, "info")]
    assert clusters["bare"]["name"] in problems[0].message
    # And the cluster that has its provider is not
    here = adapter.list_clusters(REGION)
    assert eks_clusters_without_provider(here.clusters, providers, complete=True) == ()


def test_a_pass_sends_no_call_whose_worst_case_would_pass_the_deadline(
    sandbox: Sandbox, clusters: dict[str, dict[str, Any]], aws_calls: CallRecorder
) -> None:
    adapter = EksClusters(session=_session(sandbox.account.endpoint_url))

    listing = adapter.list_clusters(REGION, deadline=time.monotonic() + 1)

    assert (listing.complete, listing.clusters, listing.calls) == (False, (), 0)
    assert listing.failure == "out of time after listing 0 clusters"
    assert not aws_calls.calls
    # And an incomplete listing proves no provider dead
    dead_url = clusters["deleted"]["issuer"].removeprefix("https://")
    provider = IamOidcProviders(client=sandbox.account.iam).get(clusters["deleted"]["provider_arn"])
    assert provider.url == dead_url
    assert eks_cluster_gone(provider, listing.clusters, (), complete=listing.complete) is None


def test_an_eks_that_does_not_answer_makes_an_incomplete_listing_not_an_exception() -> None:
    # Given an endpoint where EKS does not answer (a port nobody listens on)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    adapter = EksClusters(session=_session(f"http://127.0.0.1:{port}"))

    # When a region is listed, then the failure is the listing's, with what was read before it
    listing = adapter.list_clusters(REGION)

    assert (listing.complete, listing.clusters, listing.calls) == (False, (), 1)
    assert listing.failure is not None
    assert listing.failure.startswith("cannot list clusters after 0: ")


def test_a_region_botocore_refuses_is_an_incomplete_listing() -> None:
    adapter = EksClusters(session=_session("http://127.0.0.1:9"))

    listing = adapter.list_clusters("not a region!")

    assert (listing.complete, listing.calls) == (False, 0)
    assert listing.failure is not None
    assert listing.failure.startswith("no EKS client for not a region!: ")
