"""A workstation CLI for an on-demand sweep: the same engine the Lambda runs, your own credentials."""
