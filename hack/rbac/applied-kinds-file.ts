/**
 * Applied-kinds files: the presets in deploy/rbac-presets/ and any file a platform team writes in the
 * same format (`description`, then `kinds`: a list of { apiGroup, resources, extraVerbs? }).
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import { load } from "js-yaml";
import type { AppliedKinds } from "./policy-rules";

export const PRESET_DIR = resolve(__dirname, "..", "..", "deploy", "rbac-presets");

export interface AppliedKindsFile {
  /** Preset name or file path, for messages. */
  source: string;
  description: string;
  kinds: AppliedKinds[];
}

// RFC 1123 DNS subdomain (API groups) and plural resource names (with an optional subresource).
const GROUP = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?)(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const RESOURCE = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\/[a-z]+)?$/;
const VERB = /^[a-z]+$/;

function strings(v: unknown, where: string, pattern: RegExp): string[] {
  if (!Array.isArray(v) || v.length === 0 || !v.every(s => typeof s === "string")) {
    throw new Error(`${where}: expected a non-empty list of strings`);
  }
  const bad = v.find(s => !pattern.test(s));
  if (bad !== undefined) {
    throw new Error(
      `${where}: "${bad}" is not a valid name` +
        (bad.includes("*") ? " (wildcards are not allowed: list what the operator applies)" : ""),
    );
  }
  return v as string[];
}

/** Parses and validates an applied-kinds document. */
export function parseAppliedKinds(text: string, source: string): AppliedKindsFile {
  const doc = load(text) as Record<string, unknown> | null;
  if (!doc || typeof doc !== "object" || Array.isArray(doc)) {
    throw new Error(`${source}: expected a mapping with description and kinds`);
  }
  const description = typeof doc.description === "string" ? doc.description : "";
  if (!Array.isArray(doc.kinds)) throw new Error(`${source}: kinds must be a list`);
  const kinds = doc.kinds.map((k: Record<string, unknown>, i: number): AppliedKinds => {
    const where = `${source}: kinds[${i}]`;
    if (!k || typeof k !== "object") throw new Error(`${where}: expected a mapping`);
    const apiGroup = k.apiGroup ?? k.apiGroups;
    if (typeof apiGroup !== "string") {
      throw new Error(`${where}.apiGroup: expected a string ("" for the core group)`);
    }
    if (apiGroup !== "" && !GROUP.test(apiGroup)) {
      throw new Error(`${where}.apiGroup: "${apiGroup}" is not an API group name`);
    }
    return {
      apiGroup,
      resources: strings(k.resources, `${where}.resources`, RESOURCE),
      ...(k.extraVerbs === undefined
        ? {}
        : { extraVerbs: strings(k.extraVerbs, `${where}.extraVerbs`, VERB) }),
    };
  });
  return { source, description, kinds };
}

export function presetNames(): string[] {
  return readdirSync(PRESET_DIR)
    .filter(f => f.endsWith(".yaml"))
    .map(f => basename(f, ".yaml"))
    .sort();
}

export function loadPreset(name: string): AppliedKindsFile {
  const file = join(PRESET_DIR, `${name}.yaml`);
  if (!/^[a-z0-9-]+$/.test(name) || !existsSync(file)) {
    throw new Error(`unknown preset "${name}"; presets: ${presetNames().join(", ")}`);
  }
  return parseAppliedKinds(readFileSync(file, "utf8"), `preset ${name}`);
}

export function loadKindsFile(path: string): AppliedKindsFile {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch {
    throw new Error(`cannot read the applied-kinds file ${path}`);
  }
  return parseAppliedKinds(text, path);
}
