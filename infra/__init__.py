"""The CDK app: a stack composed of small constructs (function, schedule, alerts, alarms, dashboard)."""
