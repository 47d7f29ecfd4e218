"""What the tool decides, pure: statuses, the typed report, rules, remediation, memory, impact and
organization planning."""
