"""The JSON contract's schema, assembled from its parts.

``schema/base.schema.json`` describes a report; ``schema/records/<kind>.schema.json`` describes
the record of one block kind (one per parser family). `assemble` joins them into the complete
schema that ships as ``schema/report.schema.json`` — every block kind in an enum, each kind's
record checked. A test keeps the shipped file equal to the assembled one; after adding or
changing a record schema, run ``python -m crashsift.contract`` to write it again.
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any

TEXT_KINDS = ("prose", "unknown")


def _read(name: str) -> dict[str, Any]:
    return json.loads(resources.files("crashsift").joinpath("schema", name).read_text("utf-8"))


def record_kinds() -> list[str]:
    folder = resources.files("crashsift").joinpath("schema", "records")
    return sorted(
        p.name.removesuffix(".schema.json") for p in folder.iterdir() if p.name.endswith(".schema.json")
    )


def assemble() -> dict[str, Any]:
    """The complete schema: the base, every record schema, and the kind -> record rules."""
    schema = _read("base.schema.json")
    block = schema["$defs"]["block"]
    kinds = record_kinds()
    for kind in kinds:
        record = _read(f"records/{kind}.schema.json")
        record.pop("$schema", None)
        schema["$defs"][f"{kind}Record"] = record
        block["allOf"].append({
            "if": {"properties": {"kind": {"const": kind}}},
            "then": {"properties": {"record": {"$ref": f"#/$defs/{kind}Record"}}},
        })  # fmt: skip
    block["properties"]["kind"] = {"enum": [*kinds, *TEXT_KINDS]}
    return schema


def shipped() -> dict[str, Any]:
    return _read("report.schema.json")


def main() -> None:
    target = Path(__file__).resolve().parent / "schema" / "report.schema.json"
    target.write_text(json.dumps(assemble(), indent=1) + "\n", encoding="utf-8")
    print(f"wrote {target}")


if __name__ == "__main__":
    main()
