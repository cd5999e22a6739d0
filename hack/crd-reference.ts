/**
 * Renders the CRD reference (every field, its type, default and description) as Markdown from the
 * CRD objects themselves, so the README cannot drift from the schema (gen-crds checks it).
 */
type Schema = {
  type?: string;
  description?: string;
  default?: unknown;
  enum?: unknown[];
  properties?: Record<string, Schema>;
  items?: Schema;
  required?: string[];
  minLength?: number;
  format?: string;
};

interface Crd {
  spec: {
    group: string;
    scope: string;
    names: { kind: string; plural: string; shortNames?: string[] };
    versions: Array<{
      name: string;
      schema: { openAPIV3Schema: Schema };
      additionalPrinterColumns?: Array<{ name: string; jsonPath: string; priority?: number }>;
    }>;
  };
}

function typeOf(s: Schema): string {
  if (s.type === "array") return `[]${s.items ? typeOf(s.items) : "any"}`;
  if (s.enum) return s.enum.map(v => `\`${String(v)}\``).join(" | ");
  return s.format ? `${s.type} (${s.format})` : (s.type ?? "any");
}

const cell = (text: string): string => text.replace(/\|/g, "\\|").replace(/\n/g, " ");

function rows(prefix: string, s: Schema, required: Set<string>, out: string[]): void {
  for (const [name, child] of Object.entries(s.properties ?? {})) {
    const path = `${prefix}.${name}`;
    const notes = [
      required.has(name) ? "required" : "",
      child.default !== undefined ? `default \`${JSON.stringify(child.default)}\`` : "",
    ]
      .filter(Boolean)
      .join(", ");
    out.push(
      `| \`${path}\` | ${cell(typeOf(child))} | ${notes} | ${cell(child.description ?? "")} |`,
    );
    const nested = child.type === "array" ? child.items : child;
    if (nested?.properties)
      rows(
        child.type === "array" ? `${path}[]` : path,
        nested,
        new Set(nested.required ?? []),
        out,
      );
  }
}

export function renderCrdReference(crds: Crd[]): string {
  const out: string[] = [];
  for (const crd of crds) {
    const { names, group, scope } = crd.spec;
    const v = crd.spec.versions[0];
    const root = v.schema.openAPIV3Schema;
    out.push(`### ${names.kind} (\`${group}/${v.name}\`, ${scope.toLowerCase()}-scoped)`, "");
    out.push(`${root.description ?? ""}`, "");
    out.push(
      `Plural \`${names.plural}\`; short names ${(names.shortNames ?? []).map(n => `\`${n}\``).join(", ")}. ` +
        `\`kubectl get\` columns: ${(v.additionalPrinterColumns ?? [])
          .filter(c => !c.priority)
          .map(c => c.name)
          .join(", ")} ` +
        `(\`-o wide\` adds ${
          (v.additionalPrinterColumns ?? [])
            .filter(c => c.priority)
            .map(c => c.name)
            .join(", ") || "nothing"
        }).`,
      "",
    );
    for (const part of ["spec", "status"]) {
      const s = root.properties?.[part];
      if (!s) continue;
      out.push("| field | type | | description |", "|---|---|---|---|");
      rows(part, s, new Set(s.required ?? []), out);
      out.push("");
    }
  }
  return out.join("\n");
}
