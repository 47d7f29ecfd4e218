"""The contract shared by the Lambda code and the CDK app, one module per concern.

`names` (environment variables, service, tags, ARN patterns, events), `metrics`, `deadlines`, `validators`,
`permissions` (the adapters' declared IAM actions) and `settings` (the table of every setting). `infra/` reads
the Lambda code through these modules only, so each imports nothing but the standard library and its siblings.
"""
