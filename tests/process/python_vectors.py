#!/usr/bin/env python3
"""Runs tests/vectors/ (decimal.jsonl, json.jsonl) against the Python client:
e8, decimal_field and decimal_text against the decimal vectors, to_json
against the JSON lines, each message built with execplane_pb2. Prints one
line per mismatch and exits 1 if there is any. Usage: python_vectors.py DIR"""
import json
import sys

import execplane_pb2 as pb
from execplane_client import DECIMAL_ERRORS, DecimalError, ExecplaneError, decimal_field, \
    decimal_text, e8, quote, to_json

failures = []


def fail(where, text):
    failures.append(f"{where}: {text}")


def vectors(path):
    """(where, vector) for each vector line of path, as test_vectors.c reads it."""
    with open(path, encoding="utf-8", newline="\n") as handle:
        for number, line in enumerate(handle, 1):
            line = line.rstrip("\r\n")
            if line and not line.startswith("#"):
                yield f"{path.rsplit('/', 1)[-1]}:{number}", json.loads(line)


def outcome(call, *args):
    """(value, None) or (None, the error)."""
    try:
        return call(*args), None
    except ExecplaneError as error:
        return None, error


def check_decimal(where, vector, seen):
    if "value" in vector:
        value, error = outcome(decimal_field, "qty", vector["value"])
        if error is None or str(error) != vector["intent_error"]:
            fail(where, f"qty {vector['value']!r}: got {value if error is None else error}, "
                        f"expected: {vector['intent_error']}")
        return
    text, signed = vector["text"], vector["signed"]
    shown = quote(text)
    value, error = outcome(e8, text, signed)
    if "e8" in vector:
        seen.add("EP_DECIMAL_OK")
        if error is not None or value != vector["e8"]:
            fail(where, f"{shown}: got {value if error is None else error}, expected {vector['e8']}")
        formatted, error = outcome(decimal_text, vector["e8"])
        if formatted != vector["formatted"]:
            fail(where, f"{vector['e8']} formats as {formatted or error}, "
                        f"expected {vector['formatted']}")
    else:
        seen.add(vector["error"])
        if not isinstance(error, DecimalError):
            fail(where, f"{shown}: got {value if error is None else error!r}, "
                        f"expected {vector['error']}")
        elif (error.error, error.reason) != (vector["error"], vector["message"]):
            fail(where, f"{shown}: got {error.error} ({error.reason}), "
                        f"expected {vector['error']} ({vector['message']})")
    if not signed:
        value, error = outcome(decimal_field, "qty", text)
        if "e8" in vector and (error is not None or value != vector["e8"]):
            fail(where, f"qty {shown}: got {value if error is None else error}, "
                        f"expected {vector['e8']}")
        if "e8" not in vector and (error is None or str(error) != vector["intent_error"]):
            fail(where, f"qty {shown}: got {value if error is None else error}, "
                        f"expected: {vector['intent_error']}")


def build(message, fields):
    """Sets fields on message as the vectors give them (see json.jsonl's head)."""
    for key, value in fields.items():
        field = message.DESCRIPTOR.fields_by_name[key]
        if field.label == field.LABEL_REPEATED:
            for item in value:
                build(getattr(message, key).add(), item)
        elif field.type == field.TYPE_ENUM and isinstance(value, str):
            setattr(message, key, field.enum_type.values_by_name[value].number)
        elif field.type in (field.TYPE_STRING, field.TYPE_BOOL):
            setattr(message, key, value)
        else:
            setattr(message, key, int(value))


def check_json(where, vector, seen):
    seen.add(vector["message"])
    message = getattr(pb, vector["message"])()
    build(message, vector["fields"])
    line = to_json(message)
    if line != vector["json"]:
        fail(where, f"{vector['message']}\n  got:      {line}\n  expected: {vector['json']}")


def main():
    folder = sys.argv[1]
    decimals, messages = set(), set()
    count = 0
    for where, vector in vectors(f"{folder}/decimal.jsonl"):
        check_decimal(where, vector, decimals)
        count += 1
    # Not empty, and every outcome and every message kind is in them
    for kind in ["EP_DECIMAL_OK", *DECIMAL_ERRORS]:
        if kind not in decimals:
            fail("decimal.jsonl", f"no vector for {kind}")
    for where, vector in vectors(f"{folder}/json.jsonl"):
        check_json(where, vector, messages)
        count += 1
    for kind in ("OrderIntent", "ExecutionReport", "PlaneState", "Stats", "PlaneDefinition"):
        if kind not in messages:
            fail("json.jsonl", f"no vector for a {kind}")
    for failure in failures:
        print(failure)
    print(f"{count} vectors, {len(failures)} mismatch(es)")
    sys.exit(1 if failures else 0)


main()
