/**
 * Section 6 of BENCHMARKS.md (the bulk apply against an earlier commit) is written by
 * `npm run bench:ab`, not by `npm run bench`: a full run keeps the one it finds.
 */
const HEADING = "## 6. ";
const REPRODUCE = "\n## Reproduce";

/** Section 6 of `text`, or undefined. */
export function abSectionOf(text: string): string | undefined {
  const start = text.indexOf(HEADING);
  if (start < 0) return undefined;
  const end = text.indexOf("\n## ", start + 1);
  return end < 0 ? text.slice(start) : text.slice(start, end);
}

/** `text` with `section` as its section 6: in place of the old one, else before "Reproduce". */
export function withAbSection(text: string, section: string): string {
  const body = section.endsWith("\n") ? section : `${section}\n`;
  const old = abSectionOf(text);
  if (old !== undefined) return text.replace(old, body);
  const tail = text.indexOf(REPRODUCE);
  if (tail < 0) return `${text.endsWith("\n") ? text : `${text}\n`}\n${body}`;
  return `${text.slice(0, tail + 1)}${body}\n${text.slice(tail + 1)}`;
}
