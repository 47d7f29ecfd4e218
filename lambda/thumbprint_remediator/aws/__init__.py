"""Every AWS call: one adapter a service, each declaring the IAM actions it needs (PERMISSIONS)."""
