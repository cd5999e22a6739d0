/**
 * Where and why Python's `json.loads` rejects a text, with its exact messages (`json/decoder.py`,
 * `json/scanner.py`, CPython 3.12). FastAPI copies them into its 422 `json_invalid` details
 * (`loc: ["body", pos]`, `ctx.error`), so the simulator needs the same words and positions that
 * JavaScript's JSON.parse does not give. CPython uses its C scanner (`_json.c`), whose messages
 * differ from the pure-Python one ("Invalid control character at" without the character). A
 * hand-written scanner because no JavaScript library reproduces CPython's error reporting; it
 * only finds the first error, the value itself is then read with JSON.parse.
 */

export interface PythonJsonError {
  msg: string;
  pos: number;
}

class Fail {
  constructor(
    readonly msg: string,
    readonly pos: number,
  ) {}
}

/** StopIteration in CPython's scanner: "no value starts here". */
class NoValue {
  constructor(readonly pos: number) {}
}

const WS = new Set([" ", "\t", "\n", "\r"]);
const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][-+]?\d+)?/y;
const ESCAPES = new Set(['"', "\\", "/", "b", "f", "n", "r", "t"]);

/** The first error `json.loads(text)` would raise, or undefined when it would parse. */
export function pythonJsonError(text: string): PythonJsonError | undefined {
  try {
    if (text.startsWith("\ufeff"))
      throw new Fail("Unexpected UTF-8 BOM (decode using utf-8-sig)", 0);
    let end = skip(text, 0);
    try {
      end = scanValue(text, end);
    } catch (err) {
      if (err instanceof NoValue) throw new Fail("Expecting value", err.pos);
      throw err;
    }
    end = skip(text, end);
    if (end !== text.length) throw new Fail("Extra data", end);
    return undefined;
  } catch (err) {
    if (err instanceof Fail) return { msg: err.msg, pos: err.pos };
    throw err;
  }
}

function skip(s: string, i: number): number {
  while (i < s.length && WS.has(s[i])) i++;
  return i;
}

/** `scan_once`: returns the end of the value starting at `i`, or throws NoValue(i). */
function scanValue(s: string, i: number): number {
  const c = s[i];
  if (c === undefined) throw new NoValue(i);
  if (c === '"') return scanString(s, i + 1);
  if (c === "{") return scanObject(s, i + 1);
  if (c === "[") return scanArray(s, i + 1);
  for (const word of ["null", "true", "false"]) if (s.startsWith(word, i)) return i + word.length;
  NUMBER.lastIndex = i;
  const m = NUMBER.exec(s);
  if (m) return i + m[0].length;
  for (const word of ["NaN", "Infinity", "-Infinity"])
    if (s.startsWith(word, i)) return i + word.length;
  throw new NoValue(i);
}

/** `py_scanstring`: `i` is just after the opening quote. */
function scanString(s: string, i: number): number {
  const begin = i - 1;
  for (;;) {
    let j = i;
    while (j < s.length && s[j] !== '"' && s[j] !== "\\" && s.charCodeAt(j) >= 0x20) j++;
    if (j >= s.length) throw new Fail("Unterminated string starting at", begin);
    const t = s[j];
    if (t === '"') return j + 1;
    if (t !== "\\") throw new Fail("Invalid control character at", j);
    const esc = s[j + 1];
    if (esc === undefined) throw new Fail("Unterminated string starting at", begin);
    if (esc !== "u") {
      if (!ESCAPES.has(esc)) throw new Fail("Invalid \\escape", j);
      i = j + 2;
      continue;
    }
    const hex = s.slice(j + 2, j + 6);
    if (!/^[0-9a-fA-F]{4}$/.test(hex)) throw new Fail("Invalid \\uXXXX escape", j + 1);
    i = j + 6;
  }
}

/** `JSONObject`: `i` is just after `{`. */
function scanObject(s: string, i: number): number {
  let end = skip(s, i);
  if (s[end] === "}") return end + 1;
  if (s[end] !== '"') throw new Fail("Expecting property name enclosed in double quotes", end);
  end += 1;
  for (;;) {
    end = scanString(s, end);
    end = skip(s, end);
    if (s[end] !== ":") throw new Fail("Expecting ':' delimiter", end);
    end = skip(s, end + 1);
    try {
      end = scanValue(s, end);
    } catch (err) {
      if (err instanceof NoValue) throw new Fail("Expecting value", err.pos);
      throw err;
    }
    end = skip(s, end);
    const next = s[end];
    end += 1;
    if (next === "}") return end;
    if (next !== ",") throw new Fail("Expecting ',' delimiter", end - 1);
    end = skip(s, end);
    if (s[end] !== '"') throw new Fail("Expecting property name enclosed in double quotes", end);
    end += 1;
  }
}

/** `JSONArray`: `i` is just after `[`. */
function scanArray(s: string, i: number): number {
  let end = skip(s, i);
  if (s[end] === "]") return end + 1;
  for (;;) {
    try {
      end = scanValue(s, end);
    } catch (err) {
      if (err instanceof NoValue) throw new Fail("Expecting value", err.pos);
      throw err;
    }
    end = skip(s, end);
    const next = s[end];
    end += 1;
    if (next === "]") return end;
    if (next !== ",") throw new Fail("Expecting ',' delimiter", end - 1);
    end = skip(s, end);
  }
}
