import { DEFAULT_PARSE_LIMITS, parseManifest, type ParseOptions } from "./parse";
import type { ParsedObject } from "./types";

interface Entry {
  content: string;
  limits: string;
  objects: ParsedObject[];
  at: number;
}

/**
 * One artifact is parsed by three readers within a second: the sync that downloads it (to refuse a
 * bad artifact as the artifact's problem), the VidraResource admission that stores it, and the
 * VidraResource reconcile that applies it. For a 1000-object artifact each parse blocks the event
 * loop for tens of milliseconds on the way to the first request, so the result is kept briefly and
 * handed to the next reader of the same text. Only large texts are kept (`minChars`, default
 * 64 Ki characters: a small manifest parses in well under a millisecond, and thousands of syncs with
 * small artifacts must not fill memory or make lookups slow); entries live `ttlMs` and are at most
 * `maxEntries`, holding `maxChars` of text in all (the parsed objects take several times that),
 * oldest dropped first. A failed parse is not kept: it is the rare case, and its error is thrown
 * again by parsing again.
 *
 * Readers share the parsed objects: they read them and copy what they change (validateObjects
 * copies each object and its metadata; the apply engine marks copies).
 */
export class ParseCache {
  private readonly entries: Entry[] = [];

  constructor(
    private readonly opts: {
      ttlMs?: number;
      minChars?: number;
      maxChars?: number;
      maxEntries?: number;
      now?: () => number;
    } = {},
  ) {}

  parse(content: string, options: ParseOptions = {}): ParsedObject[] {
    const now = (this.opts.now ?? Date.now)();
    const ttl = this.opts.ttlMs ?? 30_000;
    for (let i = this.entries.length - 1; i >= 0; i--)
      if (now - this.entries[i].at > ttl) this.entries.splice(i, 1);
    // A parse that succeeded does not depend on the size limit: that is checked on every call.
    const { maxBytes, ...rest } = { ...DEFAULT_PARSE_LIMITS, ...options };
    const limits = JSON.stringify(rest);
    const hit = this.entries.find(
      e => e.content.length === content.length && e.limits === limits && e.content === content,
    );
    if (hit && Buffer.byteLength(content, "utf8") <= maxBytes) return [...hit.objects];
    const objects = parseManifest(content, options);
    const size = content.length;
    const budget = this.opts.maxChars ?? 4 * 1024 * 1024;
    if (size < (this.opts.minChars ?? 64 * 1024) || size > budget) return objects;
    let held = this.entries.reduce((n, e) => n + e.content.length, 0);
    const most = this.opts.maxEntries ?? 8;
    while (this.entries.length && (held + size > budget || this.entries.length >= most))
      held -= this.entries.shift()!.content.length;
    this.entries.push({ content, limits, objects, at: now });
    return [...objects];
  }
}

/** The process's cache, shared by the sync, the admission and the VidraResource reconcile. */
export const sharedParses = new ParseCache();
