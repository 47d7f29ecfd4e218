"""Permissions: the IAM actions each adapter declares beside its code, collected for infra by reading the
adapters' source (never importing them: they import botocore)."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, Literal, get_args

# Each adapter declares the IAM actions it calls beside its code: a module-level `PERMISSIONS` tuple of
# `Permissions`, literal values only. The adapters import botocore, which infra must never load, so the contract
# collects their declarations by reading the adapters' source (checked to be literal), not by importing them;
# tests/unit/test_permissions_declared.py holds the read declarations equal to the imported ones.

# The resources infra scopes a grant to (infra maps each to its ARN): "any" is Resource "*", for the actions IAM
# cannot scope (listing OIDC providers, the Organizations lists, Config's PutEvaluations, listing EKS clusters);
# "eks-clusters" is the account's clusters in every region (arn:<partition>:eks:*:<account>:cluster/*).
Resource = Literal[
    "any",
    "oidc-providers",
    "alerts-topic",
    "history-table",
    "default-event-bus",
    "security-hub",
    "security-hub-product",
    "member-roles",
    "organization-objects",
    "eks-clusters",
]
# What part of a deployment an adapter serves: a deployment grants the actions of the features it switches on.
Feature = Literal[
    "sweep", "alerts", "history", "finding_events", "security_hub", "config_rule", "organization", "posture", "eks"
]
_ACTION = re.compile(r"[a-z0-9-]+:[A-Za-z0-9]+")


@dataclass(frozen=True, kw_only=True)
class Permissions:
    """IAM actions one adapter calls on one kind of resource: exactly what infra grants for it, no wildcard.
    `when` names the path that calls them when not every sweep does; the recorder tests drive that path."""

    actions: tuple[str, ...]
    resource: Resource
    when: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        if not self.actions or not all(isinstance(a, str) and _ACTION.fullmatch(a) for a in self.actions):
            raise ValueError(f"Permissions need service:Action names, without wildcards: {self.actions!r}")
        if self.resource not in get_args(Resource):
            raise ValueError(f"unknown resource kind {self.resource!r}; known: {', '.join(get_args(Resource))}")


# The modules that call AWS (each declares PERMISSIONS) and the feature each serves. The dead-letter queue is not
# here: Lambda itself sends a failed asynchronous invocation there with the function's role; none of our code does.
ADAPTER_FEATURES: Final[Mapping[str, Feature]] = {
    "inventory": "sweep",
    "publisher": "alerts",
    "history": "history",
    "finding_events": "finding_events",
    "security_hub": "security_hub",
    "config_rule": "config_rule",
    "accounts": "organization",
    "org_store": "organization",
    "roles": "posture",  # who can use each provider (issue 22): granted unless `-c posture=false`
    "eks": "eks",  # dead EKS providers (issue 22): not yet called by the sweep, so granted by no stack
}


@functools.cache
def adapter_permissions(module: str) -> tuple[Permissions, ...]:
    """The PERMISSIONS the adapter `module` declares, read from its source in the engine's aws folder."""
    return permissions_in(Path(__file__).parent.with_name("aws") / f"{module}.py")


def permissions_in(path: Path) -> tuple[Permissions, ...]:
    """The PERMISSIONS a module's source declares; ValueError if it has none or they are not literal."""
    import ast  # noqa: PLC0415 - only infra and the tests collect permissions; the function never does

    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in tree.body:
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value is not None:
            name, value = node.target.id, node.value
        elif isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            name, value = node.targets[0].id, node.value
        else:
            continue
        if name == "PERMISSIONS":
            return _literal_permissions(value, path.name)
    raise ValueError(f"{path.name} declares no PERMISSIONS")


def _literal_permissions(value: ast.expr, where: str) -> tuple[Permissions, ...]:
    import ast  # noqa: PLC0415 - as above

    if not isinstance(value, ast.Tuple) or not value.elts:
        raise ValueError(f"{where}: PERMISSIONS must be a tuple of Permissions(...)")
    declared = []
    for element in value.elts:
        called = element.func if isinstance(element, ast.Call) else None
        name = called.id if isinstance(called, ast.Name) else called.attr if isinstance(called, ast.Attribute) else ""
        if not isinstance(element, ast.Call) or name != "Permissions" or element.args:
            raise ValueError(f"{where}:{element.lineno}: PERMISSIONS holds Permissions(...) with keywords only")
        fields: dict[str, Any] = {}
        for keyword in element.keywords:
            try:
                fields[str(keyword.arg)] = ast.literal_eval(keyword.value)
            except ValueError as error:
                raise ValueError(f"{where}:{keyword.value.lineno}: {keyword.arg} must be a literal") from error
        declared.append(Permissions(**fields))
    return tuple(declared)


def declared_actions(features: Iterable[Feature]) -> frozenset[str]:
    """Every action the adapters of `features` declare: what a deployment with those features may call."""
    wanted = set(features)
    return frozenset(
        action
        for module, feature in ADAPTER_FEATURES.items()
        if feature in wanted
        for permissions in adapter_permissions(module)
        for action in permissions.actions
    )


def _actions(module: str, resource: Resource) -> tuple[str, ...]:
    """The actions `module` declares on `resource`, in declaration order: one grant statement's actions."""
    return tuple(
        action
        for permissions in adapter_permissions(module)
        if permissions.resource == resource
        for action in permissions.actions
    )


# What infra grants, statement by statement (each on the resource named), collected from the adapters. Each is
# read on first use (module __getattr__ below): the function itself never reads them, so its cold start does not
# parse the adapters' source.
_GRANTS: Final[Mapping[str, tuple[tuple[str, Resource], ...]]] = {
    "OIDC_PROVIDER_ACTIONS": (("inventory", "oidc-providers"),),
    "ACCOUNT_LEVEL_ACTIONS": (("inventory", "any"),),
    "ALERT_ACTIONS": (("publisher", "alerts-topic"),),
    "HISTORY_ACTIONS": (("history", "history-table"),),
    "FINDING_EVENT_ACTIONS": (("finding_events", "default-event-bus"),),
    "SECURITY_HUB_IMPORT_ACTIONS": (("security_hub", "security-hub-product"),),
    "SECURITY_HUB_READ_ACTIONS": (("security_hub", "security-hub"),),
    "SECURITY_HUB_ACTIONS": (("security_hub", "security-hub-product"), ("security_hub", "security-hub")),
    "CONFIG_RULE_ACTIONS": (("config_rule", "any"),),
    "ASSUME_ROLE_ACTIONS": (("accounts", "member-roles"),),
    "ORGANIZATION_READ_ACTIONS": (("accounts", "any"),),
    "ORGANIZATION_STORE_ACTIONS": (("org_store", "organization-objects"),),
    "POSTURE_ACTIONS": (("roles", "any"),),
}
if TYPE_CHECKING:  # what __getattr__ answers, for the type checker
    import ast

    OIDC_PROVIDER_ACTIONS: tuple[str, ...]
    ACCOUNT_LEVEL_ACTIONS: tuple[str, ...]
    ALERT_ACTIONS: tuple[str, ...]
    HISTORY_ACTIONS: tuple[str, ...]
    FINDING_EVENT_ACTIONS: tuple[str, ...]
    SECURITY_HUB_IMPORT_ACTIONS: tuple[str, ...]
    SECURITY_HUB_READ_ACTIONS: tuple[str, ...]
    SECURITY_HUB_ACTIONS: tuple[str, ...]
    CONFIG_RULE_ACTIONS: tuple[str, ...]
    ASSUME_ROLE_ACTIONS: tuple[str, ...]
    ORGANIZATION_READ_ACTIONS: tuple[str, ...]
    ORGANIZATION_STORE_ACTIONS: tuple[str, ...]
    POSTURE_ACTIONS: tuple[str, ...]


def __getattr__(name: str) -> tuple[str, ...]:
    """A grant constant of _GRANTS, collected from the adapters' declarations the first time it is read."""
    if name not in _GRANTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return _grant(name)


@functools.cache
def _grant(name: str) -> tuple[str, ...]:
    return tuple(action for module, resource in _GRANTS[name] for action in _actions(module, resource))


# Called by the Lambda service, not by our code: it sends an asynchronous invocation that failed every attempt to
# the dead-letter queue with the function's role. Granted on that queue only; no recorder can see it.
DEAD_LETTER_ACTIONS: Final = ("sqs:SendMessage",)
