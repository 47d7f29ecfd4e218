"""Reaching AWS from a workstation: the session (profile, region), whose account it is, another account's role,
and every credential, region or endpoint error as one line that says how to fix it."""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    EndpointConnectionError,
    NoCredentialsError,
    NoRegionError,
    PartialCredentialsError,
    ProfileNotFound,
    SSOError,
    TokenRetrievalError,
)

from thumbprint_remediator.app.request import parse_external_id, parse_role_arn
from thumbprint_remediator.aws.accounts import MemberRoles
from thumbprint_remediator.aws.clients import Clients
from thumbprint_remediator.domain.errors import AccountAccessError, RemediatorError

if TYPE_CHECKING:
    import boto3

# IAM is global: with no region configured, its calls (and STS's) go to this one, and the run says so.
IAM_DEFAULT_REGION: Final = "us-east-1"
_SIGN_IN: Final = "sign in (aws sso login, aws configure), or choose a profile with --profile or AWS_PROFILE"
_EXPIRED_CODES: Final = frozenset({"ExpiredToken", "ExpiredTokenException", "RequestExpired", "TokenRefreshRequired"})
_REJECTED_CODES: Final = frozenset(
    {"InvalidClientTokenId", "UnrecognizedClientException", "SignatureDoesNotMatch", "AuthFailure", "InvalidToken"}
)


class SetupError(RemediatorError):
    """The run cannot start as configured (credentials, region, profile, role); the message says how to fix it."""


def add_aws_options(parser: argparse.ArgumentParser, region_help: str) -> None:
    parser.add_argument("--profile", help="AWS profile to use (default: AWS_PROFILE, else the usual credential chain)")
    parser.add_argument("--region", help=region_help)


def add_role_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--role-arn",
        type=_role_arn,
        metavar="ARN",
        help="sweep the account of this IAM role, assumed through STS with your credentials",
    )
    parser.add_argument(
        "--external-id", type=_external_id, metavar="ID", help="the external id the role requires (with --role-arn)"
    )


def _role_arn(raw: str) -> str:
    if parse_role_arn(raw) is None:
        raise argparse.ArgumentTypeError(f"must be an IAM role ARN (arn:aws:iam::<account>:role/<name>), got {raw!r}")
    return raw


def _external_id(raw: str) -> str:
    if parse_external_id(raw) is None:
        raise argparse.ArgumentTypeError(f"must be 2 to 1224 characters of letters, digits and +=,.@:/-_, got {raw!r}")
    return raw


@dataclass(frozen=True)
class Caller:
    """Who the credentials are: the account and partition STS names (`arn:<partition>:...`), and the ARN."""

    account: str
    partition: str
    arn: str


def open_session(
    profile: str | None, region: str | None, *, needs_region: str | None = None, default_region: str | None = None
) -> boto3.Session:
    """A session for `profile` and `region`, else the configured ones. With no region anywhere: SetupError when
    `needs_region` says what needs one (a DynamoDB table), else `default_region` (an SNS topic's), else IAM's
    default region; either is said on stderr."""
    import boto3  # noqa: PLC0415 - after argparse, so that --help is instant

    try:
        session = boto3.Session(profile_name=profile, region_name=region)
    except ProfileNotFound as error:
        raise SetupError(f"{error} (aws configure list-profiles lists the configured ones)") from None
    if session.region_name:
        return session
    if needs_region is not None:
        raise SetupError(f"{needs_region} lives in one region and none is configured: pass --region or set AWS_REGION")
    chosen = default_region or IAM_DEFAULT_REGION
    why = "the topic's region" if default_region else "IAM is global"
    print(f"note: no AWS region configured; using {chosen} ({why}; --region or AWS_REGION to choose)", file=sys.stderr)
    return boto3.Session(profile_name=profile, region_name=chosen)


def caller_of(session: boto3.Session) -> Caller:
    """The account and partition of the credentials in use, from STS."""
    identity = Clients(session).sts().get_caller_identity()
    arn = str(identity["Arn"])
    return Caller(account=str(identity["Account"]), partition=arn.split(":")[1], arn=arn)


def assume(session: boto3.Session, caller: Caller, role_arn: str, external_id: str | None) -> boto3.Session:
    """A session acting as `role_arn`, assumed as an organization sweep assumes a member role; SetupError if STS
    refuses, saying what the role's trust policy must allow."""
    try:
        return MemberRoles(Clients(session).sts(), session.region_name).session_for(role_arn, external_id)
    except AccountAccessError as error:
        needs = " with this external id" if external_id else " (and the external id it requires: --external-id)"
        raise SetupError(f"{error}; its trust policy must let {caller.arn} assume it{needs}") from None


def describe(error: Exception, profile: str | None = None) -> str | None:  # noqa: C901, PLR0911 - one answer each
    """One line for an AWS error a person can fix (credentials, region, endpoint); None for any other error."""
    login = f"aws sso login{f' --profile {profile}' if profile else ''}"
    if isinstance(error, NoCredentialsError):
        return f"no AWS credentials found: {_SIGN_IN}"
    if isinstance(error, PartialCredentialsError):
        return f"incomplete AWS credentials ({error}): set both the key id and the secret, or use a profile"
    if isinstance(error, SSOError | TokenRetrievalError):
        return f"the AWS SSO session is missing or has expired: run {login}"
    if isinstance(error, ProfileNotFound):
        return f"{error} (aws configure list-profiles lists those that are)"
    if isinstance(error, NoRegionError):
        return "no AWS region configured: pass --region or set AWS_REGION"
    if isinstance(error, EndpointConnectionError):
        return f"cannot reach {error.kwargs.get('endpoint_url')}: check the network, a proxy, or AWS_ENDPOINT_URL"
    if isinstance(error, ClientError):
        detail = error.response.get("Error", {})
        code = str(detail.get("Code", ""))
        if code in _EXPIRED_CODES:
            return f"the AWS credentials have expired ({code}): sign in again ({login}, or fresh keys)"
        if code in _REJECTED_CODES:
            return f"AWS rejected the credentials ({code}): {_SIGN_IN}; aws sts get-caller-identity shows who you are"
        return f"{code}: {detail.get('Message', '')}".strip()
    if isinstance(error, BotoCoreError):
        return f"{type(error).__name__}: {error}"
    return None
