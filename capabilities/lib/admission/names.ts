export { dns1123LabelProblem, dns1123SubdomainProblem } from "../manifest/k8s-names";

const SECRET_KEY = /^[-._a-zA-Z0-9]+$/;

/** A Secret data key, as apimachinery's IsConfigMapKey checks it. */
export function secretKeyProblem(value: string): string | undefined {
  if (value.length > 253) return `"${value.slice(0, 40)}…" is longer than 253 characters`;
  if (!SECRET_KEY.test(value)) {
    return `"${value}" is not a valid Secret data key (letters, digits, "-", "_" and "." only)`;
  }
  if (value === "." || value === ".." || value.startsWith("..")) {
    return `"${value}" is not a valid Secret data key (it must not be "." or start with "..")`;
  }
  return undefined;
}
