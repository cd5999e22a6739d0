import { pythonJsonError } from "./python-json";

describe("pythonJsonError", () => {
  // Expected values printed by CPython 3.12's json.loads (the venv infrahub-server 1.11.9 runs on).
  it.each([
    ["{bad", "Expecting property name enclosed in double quotes", 1],
    ['{"username": admin}', "Expecting value", 13],
    ["", "Expecting value", 0],
    ["  ", "Expecting value", 2],
    ["[1,]", "Expecting value", 3],
    ['{"a":1,}', "Expecting property name enclosed in double quotes", 7],
    ['{"a" 1}', "Expecting ':' delimiter", 5],
    ['{"a":1 "b":2}', "Expecting ',' delimiter", 7],
    ["[1 2]", "Expecting ',' delimiter", 3],
    ['"abc', "Unterminated string starting at", 0],
    ['"a\nb"', "Invalid control character at", 2],
    ['"a\\qb"', "Invalid \\escape", 2],
    ['"\\u12x4"', "Invalid \\uXXXX escape", 2],
    ["01", "Extra data", 1],
    ['{"a":1}x', "Extra data", 7],
    ["-", "Expecting value", 0],
    ["nul", "Expecting value", 0],
    ["[", "Expecting value", 1],
    ['{"a":', "Expecting value", 5],
    ['"\\', "Unterminated string starting at", 0],
    ["\ufeff{}", "Unexpected UTF-8 BOM (decode using utf-8-sig)", 0],
    ["[-]", "Expecting value", 1],
    ['{"a":[1,2}', "Expecting ',' delimiter", 9],
    ["tru", "Expecting value", 0],
    ["1.", "Extra data", 1],
    ["1e", "Extra data", 1],
    [".5", "Expecting value", 0],
    ["[1,\n  2,\n  x]", "Expecting value", 11],
  ])("%j fails like CPython", (text, msg, pos) => {
    expect(pythonJsonError(text)).toEqual({ msg, pos });
  });

  it.each(['{"a": [1, 2.5e3, -0, "x\\u00e9\\n"], "b": {"c": null}}', "-Infinity", "NaN", " true "])(
    "accepts %j",
    text => {
      expect(pythonJsonError(text)).toBeUndefined();
    },
  );
});
