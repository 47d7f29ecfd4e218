"""The JSON Schema of everything the function returns, generated from the types in views.py.

`python -m thumbprint_remediator.report.schema` (run from lambda/) writes docs/report.schema.json; a test fails when
the committed file differs from what the types generate, and the tests validate every handler output against it.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import msgspec

from thumbprint_remediator.domain.views import HANDLER_OUTPUTS, SCHEMA_VERSION

SCHEMA_FILE = Path(__file__).resolve().parents[3] / "docs" / "report.schema.json"


def handler_output_schema() -> dict[str, Any]:
    """One schema: each handler output by name under $defs, the top level any one of them."""
    refs, defs = msgspec.json.schema_components(HANDLER_OUTPUTS, ref_template="#/$defs/{name}")
    for versioned in ("Report", "CompactReport", "OrganizationReport"):  # defaulted in the types, never absent
        defs[versioned]["required"] = sorted({*defs[versioned].get("required", []), "schema_version"})
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"oidc-thumbprint-remediator/report/v{SCHEMA_VERSION}",
        "title": "What the OIDC thumbprint remediator's function returns",
        "description": (
            "Generated from lambda/thumbprint_remediator/domain/views.py by "
            "`python -m thumbprint_remediator.report.schema`: "
            f"do not edit. Reports carry schema_version {SCHEMA_VERSION!r}."
        ),
        "anyOf": list(refs),
        "$defs": dict(sorted(defs.items())),
    }


def rendered() -> str:
    return json.dumps(handler_output_schema(), indent=2, sort_keys=False) + "\n"


def main() -> int:
    SCHEMA_FILE.write_text(rendered(), encoding="utf-8")
    print(f"wrote {SCHEMA_FILE}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
