"""The contract's collection of the adapters' permissions: read from their source, it equals what the adapters
themselves hold once imported, every module that declares is collected, and a declaration that is not literal (so
could not be read without importing the adapter) is refused with the line to fix."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

from tests.declared_permissions import ADAPTERS, permissions_of
from thumbprint_remediator.contract.permissions import (
    ADAPTER_FEATURES,
    Permissions,
    adapter_permissions,
    declared_actions,
    permissions_in,
)

ENGINE = Path(permissions_in.__code__.co_filename).parent.parent


def test_what_the_contract_reads_from_each_adapter_equals_what_the_adapter_holds() -> None:
    for name, module in ADAPTERS.items():
        assert adapter_permissions(name) == permissions_of(module), name


def test_every_module_that_declares_permissions_is_collected_and_nothing_else() -> None:
    declaring = set()
    for path in sorted(ENGINE.rglob("*.py")):
        if path.name == "__main__.py":  # running it is all it does
            continue
        dotted = ".".join(path.relative_to(ENGINE.parent).with_suffix("").parts)
        module = importlib.import_module(dotted.removesuffix(".__init__"))
        if hasattr(module, "PERMISSIONS"):
            declaring.add(path.stem)

    assert declaring == set(ADAPTER_FEATURES) == set(ADAPTERS)


def test_a_deployment_with_some_features_gets_only_their_adapters_actions() -> None:
    assert declared_actions(["alerts"]) == {"sns:Publish"}
    assert declared_actions(["history", "config_rule"]) == {
        "dynamodb:GetItem",
        "dynamodb:PutItem",
        "config:PutEvaluations",
    }
    assert declared_actions([]) == frozenset()


def test_a_declaration_read_from_source_keeps_its_order_and_its_note(tmp_path: Path) -> None:
    source = tmp_path / "adapter.py"
    source.write_text(
        "from typing import Final\n"
        "PERMISSIONS: Final = (\n"
        '    Permissions(actions=("s3:PutObject", "s3:GetObject"), resource="organization-objects", when="w"),\n'
        '    Permissions(actions=("sns:Publish",), resource="alerts-topic"),\n'
        ")\n"
    )

    (objects, topic) = permissions_in(source)

    assert objects.actions == ("s3:PutObject", "s3:GetObject")
    assert (objects.resource, objects.when) == ("organization-objects", "w")
    assert topic == Permissions(actions=("sns:Publish",), resource="alerts-topic")


@pytest.mark.parametrize(
    ("declaration", "complaint"),
    [
        ('PERMISSIONS = (Permissions(actions=ACTIONS, resource="any"),)', "adapter.py:1: actions must be a literal"),
        ('PERMISSIONS = [Permissions(actions=("sns:Publish",), resource="any")]', "must be a tuple"),
        ('PERMISSIONS = (Permissions(("sns:Publish",), "any"),)', "keywords only"),
        ('PERMISSIONS = (Permissions(actions=("sns:*",), resource="any"),)', "without wildcards"),
        ('PERMISSIONS = (Permissions(actions=("Publish",), resource="any"),)', "service:Action"),
        ('PERMISSIONS = (Permissions(actions=(), resource="any"),)', "service:Action"),
        ('PERMISSIONS = (Permissions(actions=("sns:Publish",), resource="topic"),)', "unknown resource kind 'topic'"),
        ("OTHER = 1", "declares no PERMISSIONS"),
    ],
)
def test_a_declaration_that_cannot_be_read_as_literal_permissions_is_refused(
    tmp_path: Path, declaration: str, complaint: str
) -> None:
    source = tmp_path / "adapter.py"
    source.write_text(declaration + "\n")

    with pytest.raises(ValueError, match=complaint.replace("*", r"\*").replace("(", r"\(")):
        permissions_in(source)


def test_permissions_refuse_a_wildcard_or_an_unknown_resource_when_built_in_code_too() -> None:
    with pytest.raises(ValueError, match="without wildcards"):
        Permissions(actions=("iam:Get*",), resource="oidc-providers")
    with pytest.raises(ValueError, match="unknown resource kind"):
        Permissions(actions=("iam:GetRole",), resource="roles")  # type: ignore[arg-type]
