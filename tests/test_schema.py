"""The JSON output of every bundled paste validates against the shipped JSON Schema."""

from __future__ import annotations

import json
from importlib import resources

import jsonschema
import pytest
from conftest import corpus_inputs

from crashsift import contract
from crashsift.model import to_jsonable
from crashsift.pipeline import parse_file, parse_text

SCHEMA = json.loads(resources.files("crashsift").joinpath("schema/report.schema.json").read_text("utf-8"))
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)


def test_schema_is_valid() -> None:
    jsonschema.Draft202012Validator.check_schema(SCHEMA)


@pytest.mark.parametrize("path", corpus_inputs(), ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_output_validates(path) -> None:
    data = json.loads(json.dumps(to_jsonable(parse_file(path))))
    errors = sorted(VALIDATOR.iter_errors(data), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message[:200]}" for e in errors[:10])


def test_schema_rejects_a_number_for_an_address() -> None:
    data = json.loads(
        json.dumps(
            to_jsonable(
                parse_text(
                    "3: kd> k\nChild-SP          RetAddr           Call Site\n"
                    "fffff880`06678208 fffff800`02afcb19 nt!KeBugCheckEx\n"
                )
            )
        )
    )
    assert not list(VALIDATOR.iter_errors(data))
    data[0]["stacks"][0]["frames"][0]["ret_addr"] = 18446735277661915929
    assert list(VALIDATOR.iter_errors(data))


def test_shipped_schema_is_the_assembled_one() -> None:
    # after changing a record schema: python -m crashsift.contract
    assert contract.shipped() == contract.assemble()


def test_every_parser_family_has_a_record_schema() -> None:
    from crashsift.parsers import FAMILIES, parser_for

    families = {f for f in FAMILIES if parser_for(f) is not None}
    assert families <= set(contract.record_kinds())
