"""Organization mode: the member role everywhere (a StackSet), the fan-out (a state machine), the central stack."""
