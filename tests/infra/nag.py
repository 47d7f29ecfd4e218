"""cdk-nag helpers shared by the single-account and the organization gates."""

from __future__ import annotations

from aws_cdk import App, Validations
from cdk_nag import AwsSolutionsChecks
from constructs import IConstruct


def nag_findings(scope: IConstruct) -> set[tuple[str, str]]:
    """(rule, construct path) of every AwsSolutions violation left unacknowledged under `scope`."""
    report = AwsSolutionsChecks(scope).validate_scope(scope)
    return {
        (violation.rule_name, str(resource.construct_path))
        for violation in report.violations
        for resource in violation.violating_resources
    }


def nag_acknowledgements(app: App) -> dict[tuple[str, str], tuple[IConstruct, str]]:
    """(rule, construct path) -> (construct, reason) of every acknowledgement in the app."""
    found = {}
    for construct in app.node.find_all():
        for entry in construct.node.metadata:
            if entry.type == Validations.ACKNOWLEDGED_RULES_METADATA_KEY:
                for qualified_id, reason in entry.data.items():
                    rule = qualified_id.split("::", 1)[1] if qualified_id.startswith("Annotation::") else qualified_id
                    found[(rule, construct.node.path)] = (construct, reason)
    return found
