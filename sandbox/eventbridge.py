"""What moto's EventBridge gets wrong for our stack, put right in the emulator (in-process, like cloudformation.py).

moto matches every event put on a bus against every rule of the bus, and a rule without an event pattern
(a scheduled rule) matches everything: a PutEvents on the default bus then reaches the schedule rule's Lambda
target, which moto cannot deliver to, and the whole PutEvents fails with NotImplementedError. In AWS a
scheduled rule fires on its schedule only, never on put events; so it is here.
"""

from __future__ import annotations

from typing import Any, Final

from moto.events.models import Rule

_MARK: Final = "_sandbox_schedule_rules_ignore_events"


def teach_eventbridge() -> None:
    """Make scheduled rules (no event pattern) ignore put events; call it in the process running moto. Idempotent."""
    if getattr(Rule.send_to_targets, _MARK, False):
        return
    send_to_targets = Rule.send_to_targets

    def send_unless_scheduled(rule: Rule, original_event: Any, transform_input: bool = True) -> None:
        if rule.scheduled_expression and not rule.event_pattern.get_pattern():
            return
        send_to_targets(rule, original_event, transform_input)

    setattr(send_unless_scheduled, _MARK, True)
    Rule.send_to_targets = send_unless_scheduled  # type: ignore[method-assign,assignment]
