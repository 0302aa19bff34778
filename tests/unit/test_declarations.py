"""The resource declarations (src/switchboard/twilio/resources.py) held against the vendored
schemas.

For each resource: the schema's keys, no more and no fewer, in Twilio's wire order; null only
where the schema allows it; enum choices and defaults the schema accepts. No server: this reads
the description in spec/ once.
"""

from __future__ import annotations

import json
from typing import Any

import jsonschema_rs
import pytest
from conftest import SPEC_SUBSET

from switchboard.twilio.fields import Field, Kind
from switchboard.twilio.params import METHODS
from switchboard.twilio.resources import (
    ACCOUNT,
    APPLICATION,
    CALL,
    INCOMING_PHONE_NUMBER,
    KEY,
    MEDIA,
    MESSAGE,
    NEW_KEY,
    RECORDING,
    Resource,
)

# Schema name -> the resource it describes; its rendered fields are what goes on the wire.
RESOURCES: dict[str, Resource] = {
    "api.v2010.account.application": APPLICATION,
    "api.v2010.account.incoming_phone_number": INCOMING_PHONE_NUMBER,
    "api.v2010.account": ACCOUNT,
    "api.v2010.account.key": KEY,
    "api.v2010.account.new_key": NEW_KEY,
    "api.v2010.account.recording": RECORDING,
    "api.v2010.account.call": CALL,
    "api.v2010.account.message": MESSAGE,
    "api.v2010.account.message.media": MEDIA,
}
DECLARATIONS: dict[str, tuple[Field, ...]] = {
    name: resource.rendered for name, resource in RESOURCES.items()
}
# Kinds whose value Switchboard always fills in, whatever the declared default.
ALWAYS_SET = {Kind.SID, Kind.DATE, Kind.URI, Kind.PHONE}
# Every other kind is a string on the wire.
JSON_TYPES = {Kind.BOOL: "boolean", Kind.OBJECT: "object", Kind.INT: "integer"}

SPEC: dict[str, Any] = json.loads(SPEC_SUBSET.read_text())
SCHEMAS: dict[str, Any] = SPEC["components"]["schemas"]
REF = "#/components/schemas/"


def resolved(prop: dict[str, Any]) -> dict[str, Any]:
    """A property with its `$ref` (the enums) followed."""
    ref = prop.get("$ref")
    return SCHEMAS[ref.removeprefix(REF)] if ref else prop


def example_orders(name: str) -> set[tuple[str, ...]]:
    """The key order of every response example of schema `name`, list pages' items included."""
    orders: set[tuple[str, ...]] = set()
    for item in SPEC["paths"].values():
        for operation in item.values():
            if not isinstance(operation, dict):
                continue
            for response in operation.get("responses", {}).values():
                for content in response.get("content", {}).values():
                    schema = content["schema"]
                    lists = [
                        key
                        for key, prop in schema.get("properties", {}).items()
                        if prop.get("items", {}).get("$ref") == REF + name
                    ]
                    for example in content.get("examples", {}).values():
                        value = example["value"]
                        if schema.get("$ref") == REF + name:
                            orders.add(tuple(value))
                        for key in lists:
                            orders.update(tuple(record) for record in value[key])
    return orders


def wire_order(name: str) -> tuple[str, ...]:
    """Twilio's order: its examples', when they agree; else the schema's own property order.

    (The IncomingPhoneNumber examples show three different orders; its declarations follow the
    properties.)
    """
    orders = example_orders(name)
    assert orders, f"no example of {name}"
    if len(orders) == 1:
        return orders.pop()
    if name == "api.v2010.account.message":
        # Two orders, differing only in where `messaging_service_sid` sits: the alphabetical
        # one (the fetch, list and create examples, and Twilio's own answers) is declared.
        alphabetical = tuple(sorted(next(iter(orders))))
        assert alphabetical in orders
        return alphabetical
    return tuple(SCHEMAS[name]["properties"])


def properties(name: str) -> list[tuple[Field, dict[str, Any]]]:
    props = SCHEMAS[name]["properties"]
    return [(field, props[field.key]) for field in DECLARATIONS[name]]


@pytest.mark.parametrize("name", DECLARATIONS)
def test_keys_in_wire_order(name: str) -> None:
    assert tuple(field.key for field in DECLARATIONS[name]) == wire_order(name)
    assert sorted(field.key for field in DECLARATIONS[name]) == sorted(SCHEMAS[name]["properties"])


@pytest.mark.parametrize("name", DECLARATIONS)
def test_null_only_where_the_schema_allows_it(name: str) -> None:
    for field, prop in properties(name):
        nullable = bool(prop.get("nullable") or resolved(prop).get("nullable"))
        if nullable:
            continue
        assert not field.nullable or field.kind is Kind.URI or field.default is not None, field.key
        # Not nullable: never answered null, so always set or with a non-null default.
        assert field.kind in ALWAYS_SET or field.default is not None, field.key


@pytest.mark.parametrize("name", DECLARATIONS)
def test_types_and_choices_match(name: str) -> None:
    for field, prop in properties(name):
        schema = resolved(prop)
        if "type" in schema:  # an untyped property (encryption_details) takes any value
            assert schema["type"] == JSON_TYPES.get(field.kind, "string"), field.key
        if field.kind is Kind.ENUM:
            assert sorted(field.choices) == sorted(schema["enum"]), field.key
        if field.kind is Kind.METHOD:
            assert sorted(METHODS) == sorted(schema["enum"]), field.key
        if field.kind is Kind.OBJECT and field.choices:
            assert sorted(field.choices) == sorted(schema["properties"]), field.key


@pytest.mark.parametrize("name", DECLARATIONS)
def test_defaults_validate(name: str) -> None:
    """What a resource answers for an unset field is valid (an IncomingPhoneNumber's "" URLs
    included: spec/README.md correction b)."""
    for field, _ in properties(name):
        if field.default is None:
            continue
        schema = {"$ref": f"{REF}{name}/properties/{field.key}", "components": SPEC["components"]}
        validator = jsonschema_rs.Draft4Validator(schema, validate_formats=True)
        assert validator.is_valid(field.default), (field.key, field.default)


@pytest.mark.parametrize("name", RESOURCES)
def test_paths_are_the_specs(name: str) -> None:
    """A resource's record and collection paths are operations of the description."""
    resource = RESOURCES[name]
    for path in (resource.path, resource.list_path):
        spec_path = path.replace("{account_sid}", "{AccountSid}").replace("{sid}", "{Sid}")
        spec_path = spec_path.replace("{parent_sid}", "{MessageSid}")
        assert f"{spec_path}.json" in SPEC["paths"], path
