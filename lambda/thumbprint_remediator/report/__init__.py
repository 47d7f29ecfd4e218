"""What people read: the alert's forms and the report's JSON Schema."""
