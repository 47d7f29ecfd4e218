"""What each adapter declares, read by importing the adapter itself: the infra tests' expected grants come from
the code that makes the calls, not from the contract's collection that infra reads (nor from infra)."""

from __future__ import annotations

from types import ModuleType
from typing import Final

from thumbprint_remediator.aws import (
    accounts,
    config_rule,
    eks,
    finding_events,
    history,
    inventory,
    org_store,
    publisher,
    roles,
    security_hub,
)
from thumbprint_remediator.contract.permissions import Permissions

ADAPTERS: Final[dict[str, ModuleType]] = {
    "inventory": inventory,
    "publisher": publisher,
    "history": history,
    "finding_events": finding_events,
    "security_hub": security_hub,
    "config_rule": config_rule,
    "accounts": accounts,
    "org_store": org_store,
    "roles": roles,
    "eks": eks,
}


def permissions_of(module: ModuleType) -> tuple[Permissions, ...]:
    declared = module.PERMISSIONS
    assert isinstance(declared, tuple), module.__name__
    assert all(isinstance(p, Permissions) for p in declared), module.__name__
    return declared


def declared_on(module: ModuleType, resource: str) -> list[str]:
    """The actions `module` declares on `resource`, sorted (as the tests compare statements' actions)."""
    return sorted(action for p in permissions_of(module) if p.resource == resource for action in p.actions)


def declared_by(*modules: ModuleType) -> set[str]:
    """Every action the `modules` declare."""
    return {action for module in modules for p in permissions_of(module) for action in p.actions}
