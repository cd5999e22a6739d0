export { dns1123LabelProblem, dns1123SubdomainProblem } from "../manifest/k8s-names";

const SECRET_KEY = /^[-._a-zA-Z0-9]+$/;

/** A Secret data key: letters, digits, '-', '_' and '.' (apimachinery IsConfigMapKey). */
export function secretKeyProblem(value: string): string | undefined {
  if (value.length > 253) return "must be at most 253 characters";
  if (!SECRET_KEY.test(value)) return `"${value}" must consist of letters, digits, '-', '_' and '.'`;
  return undefined;
}
