import yaml from "js-yaml";
import { errorMessage } from "../errors";
import type { DocumentText } from "./split-documents";
import { MANIFEST_SCHEMA } from "./yaml-schema";

/** The loaded value of one document, or what is wrong with its syntax. */
export type LoadResult = { ok: true; value: unknown } | { ok: false; problem: string };

/** Options js-yaml 4.1+ understands but @types/js-yaml 4.0.9 does not declare. */
type LoadOptions = yaml.LoadOptions & { maxDepth?: number };

const PLAIN_KEY =
  /^(?:"([^"\\\n]{1,100})"|'([^'\n]{1,100})'|([^\s:,{}[\]"'#][^:,{}[\]\n]{0,99}?))\s*:/;

/**
 * Loads one document with the manifest schema. Syntax problems are described by reason and line only:
 * js-yaml's own message quotes the surrounding source lines, which may hold Secret data.
 */
export function loadDocument(doc: DocumentText, maxDepth: number): LoadResult {
  // js-yaml counts scalars as a nesting level too; the expansion guard enforces `maxDepth` exactly.
  const options: LoadOptions = { schema: MANIFEST_SCHEMA, maxDepth: maxDepth + 1 };
  try {
    return { ok: true, value: yaml.load(doc.text, options) };
  } catch (err) {
    if (!(err instanceof yaml.YAMLException)) {
      return { ok: false, problem: `could not be parsed: ${errorMessage(err)}` };
    }
    return { ok: false, problem: describeYamlError(err, doc.startLine, maxDepth) };
  }
}

function describeYamlError(err: yaml.YAMLException, startLine: number, maxDepth: number): string {
  const mark = err.mark as yaml.Mark | undefined;
  const at = mark ? ` at line ${startLine + mark.line + 1}, column ${mark.column + 1}` : "";
  const reason = err.reason || "invalid YAML";
  if (reason === "duplicated mapping key") {
    const key = mark ? keyAt(mark.buffer, mark.position) : undefined;
    const name = key === undefined ? "a mapping key" : `mapping key "${key}"`;
    return `${name} is defined twice in the same mapping (again${at})`;
  }
  if (reason.startsWith("nesting exceeded maxDepth")) {
    return `nested more than ${maxDepth} levels deep${at}`;
  }
  if (reason.startsWith("unknown tag")) {
    return `${reason}${at}: only plain YAML is accepted (no custom tags, !!binary, !!timestamp or !!set)`;
  }
  return `${reason}${at}`;
}

/** The mapping key starting at `position`, when it is a short, simple key (never a value). */
function keyAt(buffer: string, position: number): string | undefined {
  const m = PLAIN_KEY.exec(buffer.slice(position, position + 210));
  if (!m) return undefined;
  return (m[1] ?? m[2] ?? m[3]).trim();
}
