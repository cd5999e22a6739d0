/**
 * Splits a manifest into its documents before parsing, so each is parsed on its own: a syntax error in
 * one document is reported with its document number and does not hide problems in the others.
 */

/** One document's text and where it starts in the manifest. */
export interface DocumentText {
  text: string;
  /** 0-based line of the manifest where `text` starts (added to parser line numbers). */
  startLine: number;
}

const DOCUMENT_START = /^---(?:[ \t]|$)/;
const DOCUMENT_END = /^\.\.\.(?:[ \t]|$)/;
const NO_CONTENT = /^(?:[ \t]*(?:#.*)?|%.*)$/;

/**
 * YAML documents, split the way YAML itself does: at `---` and `...` lines in column 0 (which end a
 * document even inside a block scalar). Text before the first `---` that holds only comments,
 * blank lines or directives is not a document of its own, matching `js-yaml.loadAll` numbering;
 * empty documents are kept (they count in the numbering) and skipped by the caller.
 */
export function splitYamlDocuments(input: string): DocumentText[] {
  const docs: DocumentText[] = [];
  const lines = input.split("\n");
  let start = 0;
  let explicit = false;
  let content = false;

  const finish = (endExclusive: number): void => {
    if (explicit || content)
      docs.push({ text: lines.slice(start, endExclusive).join("\n"), startLine: start });
  };

  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].endsWith("\r") ? lines[i].slice(0, -1) : lines[i];
    if (DOCUMENT_START.test(line)) {
      // A preamble of comments/directives belongs to the document this marker opens.
      if (explicit || content) {
        finish(i);
        start = i;
      }
      explicit = true;
      content = false;
    } else if (DOCUMENT_END.test(line)) {
      finish(i + 1);
      start = i + 1;
      explicit = false;
      content = false;
    } else if (!content && !NO_CONTENT.test(line)) {
      content = true;
    }
  }
  finish(lines.length);
  return docs;
}

/**
 * A stream of concatenated JSON objects (`{...}{...}` or one per line), which Kubernetes' decoder,
 * and so Vidra, accepted: each value's text, or `undefined` when the input is not such a stream (a
 * single value, YAML, or malformed JSON, all of which the YAML path handles and reports).
 */
export function splitJsonStream(input: string): DocumentText[] | undefined {
  const values: DocumentText[] = [];
  let depth = 0;
  let inString = false;
  let start = -1;
  let line = 0;
  let startLine = 0;
  for (let i = 0; i < input.length; i++) {
    const c = input[i];
    if (c === "\n") line++;
    if (inString) {
      if (c === "\\") i++;
      else if (c === '"') inString = false;
      continue;
    }
    if (depth === 0) {
      if (c === "{") {
        start = i;
        startLine = line;
      } else if (c !== " " && c !== "\t" && c !== "\r" && c !== "\n") {
        return undefined;
      }
    }
    if (c === '"') inString = true;
    else if (c === "{" || c === "[") depth++;
    else if (c === "}" || c === "]") {
      depth--;
      if (depth < 0) return undefined;
      if (depth === 0) values.push({ text: input.slice(start, i + 1), startLine });
    }
  }
  if (depth !== 0 || inString || values.length < 2) return undefined;
  return values;
}
