"""Security Hub: one ASFF finding per provider and problem instance, imported with BatchImportFindings, archived
(workflow RESOLVED) once a sweep shows the problem gone. Built from the sweep report: the problems are the rules',
not re-decided here.

Only evidence resolves a finding: a sweep that judged the place the problem was (the provider, its host, the
backend address) and did not find it there again, or a full sweep that no longer finds the provider in IAM. What a
sweep could not look at (unreachable, error, invalid discovery, out of time: Status.judged) keeps its
findings active: not seen is not fixed, so making a host unreachable for one sweep cannot clear a finding.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from botocore.exceptions import BotoCoreError, ClientError
from msgspec import UNSET

from thumbprint_remediator.contract.names import SECURITY_HUB_PRODUCT_ARN_PATTERN, SERVICE_NAME
from thumbprint_remediator.contract.permissions import Permissions
from thumbprint_remediator.domain.errors import ChannelError
from thumbprint_remediator.domain.models import Endpoint
from thumbprint_remediator.domain.posture import POSTURE_CODES, POSTURE_INCOMPLETE, severity_of
from thumbprint_remediator.domain.status import Status
from thumbprint_remediator.domain.views import FindingView, HostView, ProblemView, Report, SecurityHubOutcome

# What this adapter calls (the contract collects it for infra): import our findings under the account's own
# product; is the hub enabled, and read back the active findings to archive those that are fixed.
PERMISSIONS: Final = (
    Permissions(
        actions=("securityhub:BatchImportFindings",), resource="security-hub-product", when="findings to import"
    ),
    Permissions(actions=("securityhub:DescribeHub", "securityhub:GetFindings"), resource="security-hub"),
)
SCHEMA_VERSION: Final = "2018-10-08"
GENERATOR_ID: Final = SERVICE_NAME
FINDINGS_PER_CALL: Final = 100  # BatchImportFindings: at most 100 findings per call
FINDING_LIMIT: Final = 240 * 1024  # BatchImportFindings: each finding under 240 KB
ID_LIMIT: Final = 512
TITLE_LIMIT: Final = 256
DESCRIPTION_LIMIT: Final = 1024
REMEDIATION_LIMIT: Final = 512
FINDING_TYPE: Final = "Software and Configuration Checks/AWS Security Best Practices/IAM OIDC provider thumbprints"
PROBLEM_FIELD: Final = f"{SERVICE_NAME}/problem"
# Where the problem is (its host; the certificate or backend address it is about): read back from a previous
# finding to tell whether this sweep judged that place.
HOST_FIELD: Final = f"{SERVICE_NAME}/host"
INSTANCE_FIELD: Final = f"{SERVICE_NAME}/instance"
# How serious each problem is: by the provider status it implies (Status.hub_severity).
UNKNOWN_SEVERITY: Final = "MEDIUM"
# A stale list where IAM relies on the thumbprint (private CA, TLS 1.3 only) breaks federation outright.
STALE_REQUIRED_SEVERITY: Final = "HIGH"
# Who can use a provider (posture): a role any identity of a shared issuer can assume is critical.
POSTURE_HUB_SEVERITY: Final = {"critical": "CRITICAL", "warning": "MEDIUM"}
POSTURE_FINDING_TYPE: Final = "Software and Configuration Checks/AWS Security Best Practices/IAM OIDC role trust"
# The provider a posture finding is about (its first resource is the role).
PROVIDER_FIELD: Final = f"{SERVICE_NAME}/provider"
NOT_ENABLED_CODES: Final = frozenset({"InvalidAccessException", "ResourceNotFoundException"})


@dataclass(frozen=True)
class HubTarget:
    """Where findings go: the account's own product ARN in this region."""

    account: str
    region: str
    partition: str = "aws"

    @property
    def product_arn(self) -> str:
        return SECURITY_HUB_PRODUCT_ARN_PATTERN.format(
            partition=self.partition, region=self.region, account=self.account
        )


def _hub_severity(status: Status) -> str:
    return status.hub_severity or UNKNOWN_SEVERITY


def finding_id(provider_arn: str, code: str, host: str | None, instance: str | None = None) -> str:
    """Stable across sweeps (a re-run updates, never duplicates); unique per provider, problem, host and instance
    (the certificate or backend address that tells two problems of one code on one host apart)."""
    identifier = f"{SERVICE_NAME}/{provider_arn}/{code}"
    if host or instance:
        identifier += f"/{host or ''}"
    if instance:
        identifier += f"/{instance}"
    if len(identifier) <= ID_LIMIT:
        return identifier
    return f"{SERVICE_NAME}/{hashlib.sha256(identifier.encode()).hexdigest()}"


def active_findings(report: Report, target: HubTarget, now: datetime) -> list[dict[str, Any]]:
    """An ASFF finding for every problem (not a note) of every provider in the report."""
    findings = []
    for finding in report.findings:
        for problem in finding.problems:
            if problem.code in POSTURE_CODES:
                if severity_of(problem.code, _severity(problem)) in POSTURE_HUB_SEVERITY:
                    findings.append(posture_asff(finding, problem, target, now))
                continue
            if problem.status is not Status.OK:
                findings.append(_asff(finding, problem, target, now))
    return findings


def _severity(problem: ProblemView) -> str | None:
    return None if problem.severity is UNSET else problem.severity


def posture_asff(finding: FindingView, problem: ProblemView, target: HubTarget, now: datetime) -> dict[str, Any]:
    """A posture problem's finding: one per role (and statement) and problem, the role as its resource (AwsIamRole)
    and the provider beside it; critical or warning only (notes such as an unused provider are not findings)."""
    asff = _asff(finding, problem, target, now)
    severity = str(severity_of(problem.code, _severity(problem)))
    label = POSTURE_HUB_SEVERITY[severity]
    instance = problem.instance or ""
    role_arn = instance.split(" ", 1)[0] if instance.startswith("arn:") else ""
    provider = asff["Resources"][0]
    role = {"Type": "AwsIamRole", "Id": role_arn, "Partition": target.partition, "Region": target.region}
    asff.update(
        {
            "Severity": {"Label": label, "Original": severity},
            "Types": [POSTURE_FINDING_TYPE],
            "FindingProviderFields": {
                "Severity": {"Label": label, "Original": severity},
                "Types": [POSTURE_FINDING_TYPE],
            },
            "Resources": [role, provider] if role_arn else [provider],
            "ProductFields": {**asff.get("ProductFields", {}), PROVIDER_FIELD: finding.arn},
        }
    )
    return asff


def _asff(finding: FindingView, problem: ProblemView, target: HubTarget, now: datetime) -> dict[str, Any]:
    label = _hub_severity(problem.status)
    if problem.status is Status.STALE and finding.thumbprint_reliance == "required":
        label = STALE_REQUIRED_SEVERITY
    timestamp = _iso(now)
    title = f"OIDC provider {finding.url}: {problem.code.replace('_', ' ')}"
    description = problem.message
    if finding.action_reason:
        description += f" Action taken: {finding.action} ({finding.action_reason})."
    asff: dict[str, Any] = {
        "SchemaVersion": SCHEMA_VERSION,
        "Id": finding_id(finding.arn, problem.code, problem.host, problem.instance),
        "ProductArn": target.product_arn,
        "GeneratorId": GENERATOR_ID,
        "AwsAccountId": target.account,
        "CreatedAt": timestamp,
        "UpdatedAt": timestamp,
        "Severity": {"Label": label, "Original": problem.status.value},
        "Types": [FINDING_TYPE],
        "FindingProviderFields": {
            "Severity": {"Label": label, "Original": problem.status.value},
            "Types": [FINDING_TYPE],
        },
        "Title": _bounded(title, TITLE_LIMIT),
        "Description": _bounded(description, DESCRIPTION_LIMIT),
        "Remediation": {"Recommendation": {"Text": _bounded(problem.remedy or "-", REMEDIATION_LIMIT)}},
        "Resources": [
            {
                "Type": "Other",
                "Id": finding.arn,
                "Partition": target.partition,
                "Region": target.region,
                "Details": {"Other": _bounded_fields({"url": finding.url, "status": finding.status.value})},
            }
        ],
        "Compliance": {"Status": "FAILED"},
        "RecordState": "ACTIVE",
        "Workflow": {"Status": "NEW"},
        "ProductFields": _bounded_fields(
            {
                PROBLEM_FIELD: problem.code,
                HOST_FIELD: problem.host or "",
                INSTANCE_FIELD: problem.instance or "",
                f"{SERVICE_NAME}/action": finding.action.value,
                f"{SERVICE_NAME}/thumbprints": ",".join(finding.thumbprints_before or ["unknown"])[:1024],
            }
        ),
    }
    if len(json.dumps(asff).encode()) >= FINDING_LIMIT:  # cannot happen with the bounds above; never send one
        asff.pop("ProductFields")
    return asff


def resolved(previous: Mapping[str, Any], now: datetime) -> dict[str, Any]:
    """The import that archives a finding whose problem is gone."""
    archived = {key: value for key, value in previous.items() if key in _IMPORT_FIELDS}
    archived.update(
        {
            "UpdatedAt": _iso(now),
            "RecordState": "ARCHIVED",
            "Workflow": {"Status": "RESOLVED"},
            "Compliance": {"Status": "PASSED"},
        }
    )
    return archived


_IMPORT_FIELDS = frozenset(
    {
        "SchemaVersion",
        "Id",
        "ProductArn",
        "GeneratorId",
        "AwsAccountId",
        "CreatedAt",
        "Severity",
        "Types",
        "FindingProviderFields",
        "Title",
        "Description",
        "Remediation",
        "Resources",
        "ProductFields",
    }
)


@dataclass(frozen=True)
class Evidence:
    """What one sweep judged of one provider, read from its report finding: where a problem it did not report
    again is known to be gone."""

    whole: bool  # every part was judged: the provider's own problems (no host) too
    hosts: frozenset[str]  # hosts whose chain was judged, with nothing there the sweep could not look at
    tried: frozenset[str]  # every host the sweep tried
    unseen: frozenset[tuple[str, str]]  # (host, instance): a backend address that did not answer with a chain
    # Who can use the provider was judged on every role of the account (posture on, the listing complete).
    posture: bool = False

    def shows_gone(self, host: str | None, instance: str | None) -> bool:
        """Whether a problem on `host` (about `instance`) that this sweep did not report again is gone."""
        if host is None:
            return self.whole
        if host not in self.hosts:  # not judged; unless the provider, judged whole, no longer uses that host
            return self.whole and host not in self.tried
        return instance is None or (host, instance) not in self.unseen


def evidence_of(finding: FindingView) -> Evidence:
    """The evidence a report finding holds. A host is judged when it presented a chain and no problem the sweep
    could not judge (Status.judged) names it; a backend address, when it answered each sampled handshake with a
    chain; the whole provider, when its status and every problem were judged and some host presented a chain."""
    hosts = finding.hosts
    unjudged = [problem for problem in finding.problems if not problem.status.judged]
    presented = {_host_name(host) for host in hosts if host.certificates}
    blind = {problem.host for problem in unjudged if problem.host and not problem.instance}
    unseen = {(problem.host, problem.instance) for problem in unjudged if problem.host and problem.instance}
    unseen |= {
        (_host_name(host), sample.address)
        for host in hosts
        for sample in host.samples or []
        if not sample.certificates or sample.failure
    }
    return Evidence(
        whole=finding.status.judged and not unjudged and bool(presented),
        hosts=frozenset(presented - blind),
        tried=frozenset(_host_name(host) for host in hosts),
        unseen=frozenset(unseen),
        posture=finding.trusted_by is not UNSET
        and not any(problem.code == POSTURE_INCOMPLETE for problem in finding.problems),
    )


def _host_name(host: HostView) -> str:
    """A report host entry as problems name it (str(Endpoint))."""
    return str(Endpoint(host.host, host.port))


def plan_imports(
    current: Sequence[dict[str, Any]],
    previous: Iterable[Mapping[str, Any]],
    covered: Collection[str] | None,
    now: datetime,
    evidence: Mapping[str, Evidence],
) -> tuple[list[dict[str, Any]], int]:
    """What to import: every current finding (keeping its first CreatedAt), and the archiving of every previously
    active finding of a covered provider (None: all) whose problem this sweep shows gone: the provider's
    `evidence` judged the place the problem was; or, in a full sweep (covered None), the provider is no longer
    in IAM (a full sweep's report lists every provider). Returns (imports, archived)."""
    current_ids = {finding["Id"] for finding in current}
    created = {}
    archives = []
    for old in previous:
        if old.get("Id") in current_ids:
            created[old["Id"]] = old.get("CreatedAt")
        elif _shown_gone(old, covered, evidence):
            archives.append(resolved(old, now))
    imports = [{**finding, "CreatedAt": created.get(finding["Id"]) or finding["CreatedAt"]} for finding in current]
    return imports + archives, len(archives)


def _shown_gone(old: Mapping[str, Any], covered: Collection[str] | None, evidence: Mapping[str, Evidence]) -> bool:
    fields = old.get("ProductFields") or {}
    # A posture finding's first resource is the role: its provider is named in its fields.
    resource = fields.get(PROVIDER_FIELD) or (old.get("Resources") or [{}])[0].get("Id")
    if covered is not None and resource not in covered:
        return False
    proof = evidence.get(str(resource))
    if proof is None:  # not in the report: a full sweep no longer finds it in IAM; a partial one never looked
        return covered is None
    if fields.get(PROBLEM_FIELD) in POSTURE_CODES:
        return proof.posture  # judged again, with every role read, and not found
    return proof.shows_gone(fields.get(HOST_FIELD) or None, fields.get(INSTANCE_FIELD) or None)


class SecurityHubFindings:
    """Security Hub adapter: reads our active findings and imports the new state."""

    def __init__(self, client: Any) -> None:
        self._client = client

    def publish(
        self, report: Report, target: HubTarget, covered: Collection[str] | None, now: datetime
    ) -> SecurityHubOutcome:
        """Import the report's findings and archive the fixed ones (of `covered` providers; None: of all).
        Security Hub not enabled: `enabled` False and a message, nothing imported."""
        try:
            self._client.describe_hub()
            previous = self._active(target, covered)
            evidence = {finding.arn: evidence_of(finding) for finding in report.findings}
            current = active_findings(report, target, now)
            imports, archived = plan_imports(current, previous, covered, now, evidence)
            failed: list[str] = []
            for start in range(0, len(imports), FINDINGS_PER_CALL):
                response = self._client.batch_import_findings(Findings=imports[start : start + FINDINGS_PER_CALL])
                failed.extend(
                    f"{item.get('Id')}: {item.get('ErrorCode')} {item.get('ErrorMessage', '')}"
                    for item in response.get("FailedFindings", [])
                )
        except ClientError as error:
            code = str(error.response.get("Error", {}).get("Code", ""))
            if code in NOT_ENABLED_CODES:
                return SecurityHubOutcome(
                    enabled=False,
                    message="Security Hub is not enabled in this account and region: no findings were imported "
                    "(enable Security Hub, or deploy without -c securityHub=true)",
                )
            raise ChannelError("security_hub", f"{code}: {error}", code) from error
        except BotoCoreError as error:
            raise ChannelError("security_hub", str(error)) from error
        return SecurityHubOutcome(
            enabled=True,
            imported=len(imports) - archived - len(failed),
            archived=archived,
            failed=failed[:5] if failed else UNSET,
            failed_count=len(failed) if failed else UNSET,
        )

    def _active(self, target: HubTarget, covered: Collection[str] | None) -> list[dict[str, Any]]:
        """Our ACTIVE findings (of the covered providers), read back page by page."""
        filters: dict[str, Any] = {
            "GeneratorId": [{"Value": GENERATOR_ID, "Comparison": "EQUALS"}],
            "ProductArn": [{"Value": target.product_arn, "Comparison": "EQUALS"}],
            "RecordState": [{"Value": "ACTIVE", "Comparison": "EQUALS"}],
        }
        if covered is not None and len(covered) <= 20:  # a filter holds at most 20 values
            filters["ResourceId"] = [{"Value": arn, "Comparison": "EQUALS"} for arn in covered]
        found: list[dict[str, Any]] = []
        token: str | None = None
        while True:
            arguments: dict[str, Any] = {"Filters": filters, "MaxResults": 100}
            if token:
                arguments["NextToken"] = token
            response = self._client.get_findings(**arguments)
            found.extend(response.get("Findings", []))
            token = response.get("NextToken")
            if not token:
                break
        # Filters are applied by Security Hub; kept here too so only our own active findings are ever archived.
        return [
            finding
            for finding in found
            if finding.get("GeneratorId") == GENERATOR_ID
            and finding.get("ProductArn") == target.product_arn
            and finding.get("RecordState", "ACTIVE") == "ACTIVE"
        ]


def _bounded(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _bounded_fields(fields: Mapping[str, Any]) -> dict[str, str]:
    """ASFF string maps: keys up to 128 characters, values up to 2048 (ProductFields, Details.Other)."""
    return {str(key)[:128]: str(value)[:2048] for key, value in fields.items()}


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")
