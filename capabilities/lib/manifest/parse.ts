import { ExpansionGuard } from "./expansion-guard";
import { loadDocument } from "./load-document";
import { DEFAULT_MAX_PROBLEMS, ManifestError, ProblemList } from "./manifest-error";
import { DocumentText, splitJsonStream, splitYamlDocuments } from "./split-documents";
import type { KubeObject, ParsedObject, SourceLocation } from "./types";

/** Limits against huge inputs and YAML bombs. All are per manifest. */
export interface ParseOptions {
  /** Largest accepted manifest, in UTF-8 bytes. Default 4 MiB. */
  maxBytes?: number;
  /** Most documents, and most objects after expanding Lists. Default 5000. */
  maxObjects?: number;
  /** Most YAML nodes (mappings, sequences, scalars) once aliases are expanded. Default 1,000,000. */
  maxNodes?: number;
  /** Deepest nesting of mappings/sequences, aliases expanded. Default 100. */
  maxDepth?: number;
  /** Most aliases (`*name`) to mappings or sequences. Default 10,000. */
  maxAliases?: number;
  /** Most problems listed in one error (the rest are counted). Default 20. */
  maxProblems?: number;
}

export const DEFAULT_PARSE_LIMITS: Readonly<Required<ParseOptions>> = Object.freeze({
  maxBytes: 4 * 1024 * 1024,
  maxObjects: 5000,
  maxNodes: 1_000_000,
  maxDepth: 100,
  // Generators (js-yaml's dump among them) alias repeated label maps: a 1000-object artifact can
  // hold hundreds of harmless aliases. Expansion is bounded by maxNodes and maxDepth anyway.
  maxAliases: 10_000,
  maxProblems: DEFAULT_MAX_PROBLEMS,
});

const MIB = 1024 * 1024;

/**
 * Reads the manifest of an Infrahub artifact into Kubernetes objects.
 *
 * Accepted forms: multi-document YAML (`---` separated; empty and comment-only documents are skipped
 * but still counted in document numbers), a JSON object, a stream of JSON objects, or one top-level
 * JSON array / YAML sequence of objects when it is the only document (each element then counts as a
 * document). `List` and any other `*List` kind with `items` are expanded into their items.
 *
 * All or nothing: every structural problem (syntax, duplicate keys, unknown tags, missing apiVersion,
 * kind or metadata) is collected, up to `maxProblems`, and thrown as one ManifestError. Limits (size,
 * object count, expanded size, nesting, aliases) throw at once. An empty manifest returns `[]`; whether
 * that is acceptable (it would prune everything) is the caller's decision.
 */
export function parseManifest(content: string, options: ParseOptions = {}): ParsedObject[] {
  const limits = { ...DEFAULT_PARSE_LIMITS, ...options };
  const bytes = Buffer.byteLength(content, "utf8");
  if (bytes > limits.maxBytes) {
    throw new ManifestError([{ message: `manifest is ${sizeOver(bytes, limits.maxBytes)} limit` }]);
  }
  const input = content.charCodeAt(0) === 0xfeff ? content.slice(1) : content;
  const docs = splitJsonStream(input) ?? splitYamlDocuments(input);
  if (docs.length > limits.maxObjects) {
    throw new ManifestError([
      { message: `manifest has ${docs.length} documents, over the limit of ${limits.maxObjects}` },
    ]);
  }

  const problems = new ProblemList(limits.maxProblems);
  const loaded = loadDocuments(docs, limits);
  // A top-level sequence is a list of objects only when it is the only document.
  const only = loaded.length === 1 ? loaded[0] : undefined;
  const documents =
    only && only.problem === undefined && Array.isArray(only.value)
      ? only.value.map((value: unknown, i): Loaded => ({ document: i + 1, value }))
      : loaded;
  const objects = collectObjects(documents, limits.maxObjects, problems);
  problems.throwIfAny();
  return objects;
}

/** A loaded document: its value, or what is wrong with it. */
type Loaded = { document: number; value?: unknown; problem?: string };

/** Loads every non-empty document, in order, passing each through the expansion guard. */
function loadDocuments(docs: DocumentText[], limits: Required<ParseOptions>): Loaded[] {
  const guard = new ExpansionGuard(limits);
  const loaded: Loaded[] = [];
  docs.forEach((doc, i) => {
    const document = i + 1;
    const result = loadDocument(doc, limits.maxDepth);
    if (!result.ok) {
      loaded.push({ document, problem: result.problem });
    } else if (result.value !== null && result.value !== undefined) {
      const { value, nonFinitePath } = guard.admit(result.value, document);
      const problem =
        nonFinitePath === undefined
          ? undefined
          : `${nonFinitePath} is not a finite number (.inf and .nan cannot be sent to Kubernetes)`;
      loaded.push(problem === undefined ? { document, value } : { document, problem });
    }
  });
  return loaded;
}

/** The objects of each document (List items expanded), recording problems in document order. */
function collectObjects(
  documents: Loaded[],
  maxObjects: number,
  problems: ProblemList,
): ParsedObject[] {
  const out: ParsedObject[] = [];
  const accept = (value: unknown, location: SourceLocation): void => {
    const object = checkObject(value, location, problems);
    if (!object) return;
    if (out.length >= maxObjects) {
      throw new ManifestError([
        { message: `manifest has more than ${maxObjects} objects (the limit)` },
      ]);
    }
    out.push({ ...location, object });
  };
  for (const { document, value, problem } of documents) {
    if (problem !== undefined) {
      problems.add({ document, message: problem });
    } else if (!isMapping(value)) {
      problems.add({ document, message: notAnObject(value) });
    } else if (!isList(value)) {
      accept(value, { document });
    } else if (Array.isArray(value.items)) {
      value.items.forEach((item, j) => accept(item, { document, item: j + 1 }));
    } else if (value.items !== null) {
      problems.add({ document, message: `${value.kind} has no items sequence` });
    }
  }
  return out;
}

/** The object if it has the shape every Kubernetes object has; otherwise its problems are recorded. */
function checkObject(
  value: unknown,
  location: SourceLocation,
  problems: ProblemList,
): KubeObject | undefined {
  if (!isMapping(value)) {
    problems.add({ ...location, message: notAnObject(value) });
    return undefined;
  }
  const before = problems.size;
  for (const field of ["apiVersion", "kind"] as const) {
    const v = value[field];
    if (v === undefined || v === null || v === "")
      problems.add({ ...location, message: `missing ${field}` });
    else if (typeof v !== "string")
      problems.add({ ...location, message: `${field} must be a string, not ${describe(v)}` });
  }
  const metadata = value.metadata;
  if (metadata === undefined || metadata === null) {
    problems.add({ ...location, message: "missing metadata (it needs at least a name)" });
  } else if (!isMapping(metadata)) {
    problems.add({ ...location, message: `metadata must be a mapping, not ${describe(metadata)}` });
  }
  if (location.item !== undefined && isList(value)) {
    problems.add({ ...location, message: `a ${value.kind} inside a List is not supported` });
  }
  return problems.size === before ? (value as KubeObject) : undefined;
}

/** `List`, or any `*List` kind carrying `items` (how kubectl recognises lists). */
function isList(v: Record<string, unknown>): boolean {
  if (typeof v.kind !== "string") return false;
  return (
    v.kind === "List" ||
    (v.kind.endsWith("List") && "items" in v && (v.items === null || Array.isArray(v.items)))
  );
}

function isMapping(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Describes a value's type without quoting it: the value may be Secret data. */
function describe(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "a sequence";
  if (typeof v === "object") return "a mapping";
  return `a ${typeof v}`;
}

function notAnObject(v: unknown): string {
  const hint = Array.isArray(v)
    ? "; a sequence of objects is only accepted as the only document"
    : "";
  return `is ${describe(v)}, expected a Kubernetes object (a mapping with apiVersion, kind and metadata)${hint}`;
}

/** "5.2 MiB, over the 4 MiB"; exact byte counts are added when rounding would make both look equal. */
function sizeOver(bytes: number, limit: number): string {
  const show = (n: number): string =>
    n >= MIB ? `${Number((n / MIB).toFixed(1))} MiB` : `${Number((n / 1024).toFixed(1))} KiB`;
  if (show(bytes) !== show(limit)) return `${show(bytes)}, over the ${show(limit)}`;
  return `${bytes} bytes, over the ${limit} bytes (${show(limit)})`;
}
