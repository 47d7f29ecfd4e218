"""Every handler output the sandbox sees is checked against the committed JSON Schema (docs/report.schema.json).

The schema is generated from the report's types (thumbprint_remediator.report.schema); checking outputs against the
committed file, with a validator that is not msgspec, catches a type that drifted from the file as well as an
output that does not match its type.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema

SCHEMA_FILE = Path(__file__).resolve().parents[1] / "docs" / "report.schema.json"


@cache
def _validator() -> Any:  # a jsonschema Validator
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    validator_class = jsonschema.validators.validator_for(schema)
    validator_class.check_schema(schema)
    return validator_class(schema)


def validate_handler_output(output: Any) -> Any:
    """`output` unchanged if it is, as JSON, one of the outputs the schema describes; else
    jsonschema.ValidationError naming the deepest mismatch."""
    as_sent = json.loads(json.dumps(output, default=str))  # what Lambda returns is the JSON of it
    validator = _validator()
    if validator.is_valid(as_sent):
        return output
    # Not one of them: blame the output it is closest to (fewest errors), at its deepest mismatch.
    errors_per_kind = [
        list(validator.evolve(schema={**validator.schema, "anyOf": [kind]}).iter_errors(as_sent))
        for kind in validator.schema["anyOf"]
    ]
    closest = min(errors_per_kind, key=len)
    raise jsonschema.exceptions.best_match([error for child in closest for error in child.context or [child]])
