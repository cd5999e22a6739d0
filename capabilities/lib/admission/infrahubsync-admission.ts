import { targetDateProblem } from "../target-date";
import {
  asRecord,
  checkDestination,
  checkDestinationUnchanged,
  checkDuration,
  checkSecretRef,
  Problems,
} from "./shared-checks";
import { httpUrlProblem } from "./url";

const QUERY_NAME = /^[A-Za-z_][A-Za-z0-9_-]*$/;

/**
 * Admission rules for InfrahubSync that the CRD schema cannot express. Pure: no network, no clock.
 * Returns every problem found, so a person fixes them in one go.
 */
export function infrahubSyncProblems(obj: unknown, old?: unknown): string[] {
  const p = new Problems();
  const spec = asRecord(asRecord(obj)?.spec);
  const source = asRecord(spec?.source);
  if (!source) {
    p.add("spec.source", "is required");
    return p.items;
  }
  const url = source.infrahubAPIURL;
  p.add("spec.source.infrahubAPIURL", typeof url === "string" ? httpUrlProblem(url) : "is required");

  const branch = source.targetBranch;
  if (typeof branch !== "string" || branch.trim() === "") p.add("spec.source.targetBranch", "must not be empty");
  else if (/\s/.test(branch)) p.add("spec.source.targetBranch", "must not contain spaces");

  if (typeof source.targetDate === "string" && source.targetDate !== "") {
    p.add("spec.source.targetDate", targetDateProblem(source.targetDate));
  }
  if (typeof source.artefactName !== "string" || source.artefactName.trim() === "") {
    p.add("spec.source.artefactName", "must not be empty");
  }

  const discovery = source.discovery ?? "StoredQuery";
  const queryName = source.queryName;
  if (typeof queryName === "string" && queryName !== "" && !QUERY_NAME.test(queryName)) {
    p.add("spec.source.queryName", "must be a GraphQL operation name (letters, digits, '_' and '-')");
  }
  if (discovery === "StoredQuery") {
    if (source.definitionName) p.add("spec.source.definitionName", "only applies with discovery: GraphQL");
    if (Array.isArray(source.targetIds) && source.targetIds.length) {
      p.add("spec.source.targetIds", "only apply with discovery: GraphQL");
    }
  } else if (queryName) {
    p.add("spec.source.queryName", "only applies with discovery: StoredQuery");
  }

  checkSecretRef(p, "spec.source.credentialsSecretRef", source.credentialsSecretRef, ["usernameKey", "passwordKey", "tokenKey"]);
  const tls = asRecord(source.tls);
  if (tls) {
    checkSecretRef(p, "spec.source.tls.caSecretRef", tls.caSecretRef, ["key"]);
    if (tls.caSecretRef && tls.insecureSkipVerify === true) {
      p.add("spec.source.tls", "sets both caSecretRef and insecureSkipVerify; choose one");
    }
    if (typeof url === "string" && url.startsWith("http://") && (tls.caSecretRef || tls.insecureSkipVerify === true)) {
      p.add("spec.source.tls", "has no effect with an http:// infrahubAPIURL; use https or remove tls");
    }
  }

  checkDestination(p, "spec.destination", spec?.destination);
  checkDuration(p, "spec.pollInterval", spec?.pollInterval);
  checkDuration(p, "spec.reapplyInterval", spec?.reapplyInterval);

  if (old !== undefined) {
    checkDestinationUnchanged(p, "spec.destination", asRecord(asRecord(old)?.spec)?.destination, spec?.destination);
  }
  return p.items;
}
