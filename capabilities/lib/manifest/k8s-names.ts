/**
 * Kubernetes' name and key rules (apimachinery `validation`), returning a problem for a person or
 * `undefined` when the value is valid. Values are quoted in messages: these are names, never data.
 */

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const QUALIFIED_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;

/** A namespace name, and names of kinds that must be labels: lowercase alphanumerics and "-", ≤63. */
export function dns1123LabelProblem(value: string): string | undefined {
  if (value.length > 63) return `"${value}" is longer than 63 characters`;
  if (!DNS1123_LABEL.test(value)) {
    return `"${value}" is not a valid DNS-1123 label (lowercase letters, digits and "-", starting and ending with a letter or digit)`;
  }
  return undefined;
}

/** Most object names: DNS-1123 labels joined by ".", ≤253. */
export function dns1123SubdomainProblem(value: string): string | undefined {
  if (value.length > 253) return `"${value.slice(0, 40)}…" is longer than 253 characters`;
  if (!DNS1123_SUBDOMAIN.test(value)) {
    return `"${value}" is not a valid DNS-1123 subdomain (lowercase letters, digits, "-" and ".", starting and ending with a letter or digit)`;
  }
  return undefined;
}

/** Service names: a DNS-1035 label (starts with a letter), ≤63. */
export function dns1035LabelProblem(value: string): string | undefined {
  if (value.length > 63) return `"${value}" is longer than 63 characters`;
  if (!DNS1035_LABEL.test(value)) {
    return `"${value}" is not a valid DNS-1035 label (lowercase letters, digits and "-", starting with a letter and ending with a letter or digit)`;
  }
  return undefined;
}

/**
 * RBAC object names (`system:aggregate-to-edit`): the API server only requires a valid path segment.
 * This is wider than a subdomain with ":"; names it accepts here, the API server accepts too.
 */
export function pathSegmentNameProblem(value: string): string | undefined {
  if (value.length > 253) return `"${value.slice(0, 40)}…" is longer than 253 characters`;
  if (value === "." || value === "..") return `"${value}" is not a valid name`;
  if (/[/%]/.test(value)) return `"${value}" must not contain "/" or "%"`;
  return undefined;
}

/** Label and annotation keys: `[prefix/]name`, prefix a DNS-1123 subdomain, name ≤63. */
export function qualifiedNameProblem(key: string): string | undefined {
  const parts = key.split("/");
  if (parts.length > 2) return `key "${key}" has more than one "/"`;
  const name = parts[parts.length - 1];
  if (parts.length === 2) {
    if (parts[0] === "") return `key "${key}" has an empty prefix before "/"`;
    const prefix = dns1123SubdomainProblem(parts[0]);
    if (prefix) return `key "${key}" has an invalid prefix: ${prefix}`;
  }
  if (name === "") return `key "${key}" has an empty name`;
  if (name.length > 63) return `key "${key}" has a name longer than 63 characters`;
  if (!QUALIFIED_NAME.test(name)) {
    return `key "${key}" is invalid (letters, digits, "-", "_" and ".", starting and ending with a letter or digit)`;
  }
  return undefined;
}

/** Label values: empty, or ≤63 characters of letters, digits, "-", "_", ".", alphanumeric at both ends. */
export function labelValueProblem(value: string): string | undefined {
  if (value === "") return undefined;
  if (value.length > 63) return `"${value.slice(0, 40)}…" is longer than 63 characters`;
  if (!QUALIFIED_NAME.test(value)) {
    return `"${value}" is invalid (letters, digits, "-", "_" and ".", starting and ending with a letter or digit)`;
  }
  return undefined;
}
