/** What the admission end-to-end tests share: kubectl as a person runs it, and `kubectl explain` read back. */
import { dump } from "js-yaml";
import { eventually } from "../support/cluster";
import type { OperatorEnv } from "../support/operator-env";

export const DENIED = 'admission webhook "pepr-vidra-pepr.pepr.dev" denied the request: ';

export type Json = Record<string, unknown>;

export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** `kubectl apply -f -` with YAML on stdin, the way a person pipes a file in. */
export function apply(env: OperatorEnv, obj: Json | string, extra: string[] = []): KubectlResult {
  return env.kubectlResult(
    ["apply", ...extra, "-f", "-"],
    typeof obj === "string" ? obj : dump(obj),
  );
}

/** The denial text kubectl printed (everything after "denied the request: "), or fails the test. */
export function denial(result: KubectlResult): string {
  if (result.code === 0)
    throw new Error(`expected a denial, but kubectl succeeded: ${result.stdout}`);
  const at = result.stderr.indexOf(DENIED);
  if (at < 0) throw new Error(`expected the module's denial, got: ${result.stderr}`);
  return result.stderr.slice(at + DENIED.length).trim();
}

/**
 * The problems the API server's own validation (the CRD schema and its CEL rules) refused the object
 * with, each as "<field> <message>" like the webhook's (the path comes first, the value the API server
 * may echo is dropped); fails the test if something else refused it.
 */
export function schemaProblems(result: KubectlResult): string[] {
  if (result.code === 0)
    throw new Error(`expected the API server to refuse, but kubectl succeeded: ${result.stdout}`);
  if (result.stderr.includes(DENIED))
    throw new Error(`expected the CRD schema to refuse, but the webhook did: ${result.stderr}`);
  const m = /" is invalid: ([\s\S]*)$/.exec(result.stderr);
  if (!m) throw new Error(`expected a schema validation error, got: ${result.stderr}`);
  const body = m[1].trim();
  const items = body.startsWith("* ")
    ? body
        .slice(2)
        .split(/\n\* /)
        .map(x => x.trim())
    : [body];
  return items.map(item => {
    const v = /^(\S+): Invalid value: (?:"(?:[^"\\]|\\.)*": )?([\s\S]*)$/.exec(item);
    if (!v) return item;
    return v[1] === "<nil>" ? v[2].trim() : `${v[1]} ${v[2].trim()}`;
  });
}

/** What refused the object, the CRD schema or the module's webhook, as a list of problems. */
export function problems(result: KubectlResult): string[] {
  if (result.code !== 0 && result.stderr.includes(DENIED)) return denial(result).split("; ");
  return schemaProblems(result);
}

/**
 * The module registers its webhook a moment after it starts, and the API server picks the
 * configuration up a moment later. Probe with a server-side dry run, which is never stored, so a
 * probe that slips through before the webhook is live leaves nothing behind.
 */
export async function webhookLive(env: OperatorEnv, bad: Json): Promise<void> {
  await eventually(
    async () => {
      const r = apply(env, bad, ["--dry-run=server"]);
      return r.code !== 0 && r.stderr.includes(DENIED);
    },
    { timeoutMs: 60_000, what: "the module's webhook to deny a bad object" },
  );
}

export function exists(env: OperatorEnv, kind: string, name: string): boolean {
  return env.kubectlResult(["get", kind, name]).code === 0;
}

/** One field as `kubectl explain` lists it under FIELDS. */
export interface ExplainedField {
  name: string;
  type: string;
  description: string;
}

/**
 * Runs `kubectl explain <path>` and reads its FIELDS section: a line "  name<TAB><type>" per field,
 * followed by its description indented by four spaces.
 */
export function explain(env: OperatorEnv, path: string): ExplainedField[] {
  const out = env.kubectl(["explain", path]);
  const start = out.indexOf("\nFIELDS:\n");
  if (start < 0) throw new Error(`kubectl explain ${path} lists no FIELDS:\n${out}`);
  const fields: ExplainedField[] = [];
  for (const line of out.slice(start + 9).split("\n")) {
    const head = /^ {2}(\S+)\t<([^>]+)>/.exec(line);
    if (head) fields.push({ name: head[1], type: head[2], description: "" });
    else if (line.startsWith("    ") && fields.length) {
      const f = fields[fields.length - 1];
      f.description = `${f.description} ${line.trim()}`.trim();
    }
  }
  return fields;
}

/** Field names of an OpenAPI object schema, and the nested object fields to explain in turn. */
export function schemaFields(schema: Json): { names: string[]; objects: string[] } {
  const props = (schema.properties ?? {}) as Record<string, Json>;
  return {
    names: Object.keys(props).sort(),
    objects: Object.keys(props).filter(k => props[k].type === "object" && props[k].properties),
  };
}

/** A copy of a CRD without its CEL rules: what Vidra's CRD checked (types, enums, required). */
export function withoutRules<T>(crd: T): T {
  return JSON.parse(JSON.stringify(crd), (key, value) =>
    key === "x-kubernetes-validations" ? undefined : value,
  ) as T;
}
