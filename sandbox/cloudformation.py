"""What moto's CloudFormation gets wrong for a deploy of our stack, put right in the emulator.

- moto skips a resource type it does not know, with a warning. That is harmless until another
  resource reads an attribute of the skipped one: the dashboard's alarm widget reads each alarm's
  ARN (`Fn::GetAtt ... Arn`), so without `AWS::CloudWatch::Alarm` the whole deploy fails. It is
  taught here, backed by moto's own CloudWatch, so the deployed template stays what users deploy.
- moto stores a role's inline policies from a template as parsed JSON where its API stores text:
  GetRolePolicy then returns a Python repr and its access control fails on them. They are stored
  as JSON text here.
"""

from __future__ import annotations

import json
from typing import Any, Final

from moto.cloudformation import parsing
from moto.cloudformation.exceptions import UnformattedGetAttTemplateException
from moto.cloudwatch.models import cloudwatch_backends
from moto.core.common_models import CloudFormationModel
from moto.iam.models import Role

ALARM_TYPE: Final = "AWS::CloudWatch::Alarm"
_JSON_TEXT_MARK: Final = "_sandbox_stores_json_text"


class CloudWatchAlarmResource(CloudFormationModel):
    """`AWS::CloudWatch::Alarm` with a single metric: created, replaced and deleted in moto's CloudWatch."""

    def __init__(self, account_id: str, region_name: str, name: str) -> None:
        self.account_id = account_id
        self.region_name = region_name
        self.name = name

    @staticmethod
    def cloudformation_name_type() -> str:
        return "AlarmName"

    @staticmethod
    def cloudformation_type() -> str:
        return ALARM_TYPE

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return attr == "Arn"

    @property
    def physical_resource_id(self) -> str:
        return self.name

    def get_cfn_attribute(self, attribute_name: str) -> str:
        if attribute_name != "Arn":
            raise UnformattedGetAttTemplateException()
        return str(cloudwatch_backends[self.account_id][self.region_name].alarms[self.name].alarm_arn)

    @classmethod
    def create_from_cloudformation_json(
        cls,
        resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
        **kwargs: Any,
    ) -> CloudWatchAlarmResource:
        properties = cloudformation_json["Properties"]
        if "Metrics" in properties:
            raise NotImplementedError(f"{ALARM_TYPE} with Metrics (metric math) is not emulated")
        cloudwatch_backends[account_id][region_name].put_metric_alarm(
            name=resource_name,
            namespace=properties.get("Namespace"),
            metric_name=properties.get("MetricName"),
            comparison_operator=properties["ComparisonOperator"],
            evaluation_periods=int(properties["EvaluationPeriods"]),
            datapoints_to_alarm=int(properties["DatapointsToAlarm"]) if "DatapointsToAlarm" in properties else None,
            period=int(properties.get("Period", 60)),
            threshold=float(properties["Threshold"]),
            statistic=properties.get("Statistic"),
            extended_statistic=properties.get("ExtendedStatistic"),
            description=properties.get("AlarmDescription", ""),
            dimensions=properties.get("Dimensions", []),
            alarm_actions=properties.get("AlarmActions", []),
            ok_actions=properties.get("OKActions", []),
            insufficient_data_actions=properties.get("InsufficientDataActions", []),
            unit=properties.get("Unit"),
            actions_enabled=properties.get("ActionsEnabled", True),
            treat_missing_data=properties.get("TreatMissingData"),
        )
        return cls(account_id, region_name, resource_name)

    @classmethod
    def update_from_cloudformation_json(
        cls,
        original_resource: CloudWatchAlarmResource,
        new_resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
    ) -> CloudWatchAlarmResource:
        cls.delete_from_cloudformation_json(original_resource.name, cloudformation_json, account_id, region_name)
        return cls.create_from_cloudformation_json(new_resource_name, cloudformation_json, account_id, region_name)

    @classmethod
    def delete_from_cloudformation_json(
        cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str
    ) -> None:
        cloudwatch_backends[account_id][region_name].delete_alarms([resource_name])

    def delete(self, account_id: str, region_name: str) -> None:
        cloudwatch_backends[account_id][region_name].delete_alarms([self.name])

    def is_created(self) -> bool:
        return True


def teach_cloudformation() -> None:
    """Make moto's CloudFormation create the types above; call it in the process running the emulator.

    Not done by `EmulatedAccount.start()`: importing moto's CloudFormation costs a second, and only a
    deploy needs it. Idempotent.
    """
    # moto caches its type → model map on first use; this class is a subclass it will now find.
    parsing.get_model_list.cache_clear()
    parsing.get_model_map.cache_clear()
    parsing.get_name_type_map.cache_clear()
    if not getattr(Role.put_policy, _JSON_TEXT_MARK, False):
        Role.put_policy = _as_json_text(Role.put_policy)  # type: ignore[method-assign]


def _as_json_text(put_policy: Any) -> Any:
    def put_policy_as_json_text(role: Role, policy_name: str, policy_json: Any) -> None:
        put_policy(role, policy_name, policy_json if isinstance(policy_json, str) else json.dumps(policy_json))

    setattr(put_policy_as_json_text, _JSON_TEXT_MARK, True)
    return put_policy_as_json_text
