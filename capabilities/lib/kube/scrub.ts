/**
 * API server errors can quote the values they refuse: a server-side apply whose body does not fit
 * the schema answers "expected string, got &value.valueUnstructured{Value:hunter2}", and a Secret's
 * validation answers `Invalid value: "…"`. Those texts reach status, Events and logs, so the values
 * are cut out before the error is made. Field paths and reasons stay.
 */
const REDACTED = "<redacted>";

/** Go's printing of a structured-merge-diff value: `value.valueUnstructured{Value:…}` (braces nest). */
function scrubGoValues(text: string): string {
  const opener = /value\.value[A-Za-z]*\{Value:/g;
  let out = "";
  let from = 0;
  let m: RegExpExecArray | null;
  while ((m = opener.exec(text))) {
    const start = m.index + m[0].length;
    let depth = 1;
    let i = start;
    for (; i < text.length && depth > 0; i++) {
      if (text[i] === "{") depth++;
      else if (text[i] === "}") depth--;
    }
    out += `${text.slice(from, start)}${REDACTED}}`;
    from = depth === 0 ? i : text.length;
    opener.lastIndex = from;
  }
  return out + text.slice(from);
}

/** `Invalid value: "…"` and `unmarshal string "…"`-style quotes of a value (JSON-escaped). */
const QUOTED_VALUE = /(Invalid value: |cannot unmarshal string |string )"(?:[^"\\]|\\.)*"/g;
const BARE_VALUE = /(Invalid value: )(?!")([^:;,\s][^:;]*)/g;

export function scrubValues(text: string, opts: { secret?: boolean } = {}): string {
  let out = scrubGoValues(text);
  if (opts.secret)
    out = out.replace(QUOTED_VALUE, `$1"${REDACTED}"`).replace(BARE_VALUE, `$1${REDACTED}`);
  return out;
}

/** Whether a request path addresses Secrets (their errors get every quoted value removed). */
export function isSecretPath(path: string): boolean {
  return /\/secrets(\/|$|\?)/.test(path);
}
