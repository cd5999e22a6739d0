import { targetDateProblem } from "../target-date";
import { asRecord, asString, type Problems } from "./problems";
import { checkSecretRef } from "./secret-ref";
import { httpUrlProblem } from "./url";

const F = "spec.source";

const BLANKS = /[\s\p{Cc}]/u;

const URL_RULES = {
  example: "https://infrahub.example.com",
  credentialsGoTo: "a Secret referenced by spec.source.credentialsSecretRef",
};

/** A name compared verbatim with Infrahub's: blank or padded values never match anything. */
function nameProblem(value: string, what: string): string | undefined {
  if (value.trim() === "") return `is blank: give ${what}`;
  if (value.trim() !== value)
    return `has spaces at the start or end, so it would match nothing in Infrahub: remove them`;
  return undefined;
}

function checkUrl(p: Problems, url: unknown): void {
  if (typeof url !== "string") {
    return p.add(
      `${F}.infrahubAPIURL`,
      `is required: the base URL of the Infrahub server, e.g. "${URL_RULES.example}"`,
    );
  }
  p.add(`${F}.infrahubAPIURL`, httpUrlProblem(url, URL_RULES));
}

function checkBranch(p: Problems, branch: unknown): void {
  const field = `${F}.targetBranch`;
  if (typeof branch !== "string" || branch.trim() === "") {
    return p.add(field, 'is empty: name the Infrahub branch to read, e.g. "main"');
  }
  if (BLANKS.test(branch)) {
    p.add(
      field,
      `${JSON.stringify(branch)} contains spaces or control characters, which Infrahub branch names never have: remove them`,
    );
  }
}

function checkTargetDate(p: Problems, value: unknown): void {
  // Absent or "" means "the latest", as in Vidra.
  if (typeof value !== "string" || value === "") return;
  const field = `${F}.targetDate`;
  if (value.trim() === "") {
    return p.add(
      field,
      'is blank: remove it (or set "") to read the latest artifacts, or give a time such as "now-2h"',
    );
  }
  const problem = targetDateProblem(value);
  // target-date.ts words it as `targetDate "x" is not valid (why): use …`; the path replaces the name.
  if (problem)
    p.add(
      field,
      problem
        .replace(/^targetDate /, "")
        .replace(/\.$/, "")
        .replace(/;/g, ","),
    );
}

/** Which discovery the fields belong to: a field of the other one would be silently ignored. */
function checkDiscovery(p: Problems, source: Record<string, unknown>): void {
  const discovery = source.discovery ?? "StoredQuery";
  const queryName = asString(source.queryName);
  const definitionName = asString(source.definitionName);
  const targetIds = Array.isArray(source.targetIds) ? source.targetIds : [];

  // Infrahub stores any text as a query name; refuse only what cannot be meant or cannot be a path segment.
  if (queryName && (BLANKS.test(queryName) || queryName.includes("/"))) {
    p.add(
      `${F}.queryName`,
      `${JSON.stringify(queryName)} contains spaces, control characters or "/", which no stored query name used in ` +
        '/api/query/<name> can have: give the name of the stored query (e.g. "ArtifactIDs"), or remove it to use the operator\'s default',
    );
  }
  if (definitionName)
    p.add(
      `${F}.definitionName`,
      nameProblem(definitionName, "the artifact definition's name, or remove the field"),
    );
  targetIds.forEach((id, i) => {
    if (typeof id !== "string" || id.trim() === "") {
      p.add(
        `${F}.targetIds[${i}]`,
        "is empty: give the id of a target object in Infrahub, or remove the entry",
      );
    } else if (id.trim() !== id) {
      p.add(
        `${F}.targetIds[${i}]`,
        "has spaces at the start or end, so it would match no target: remove them",
      );
    }
  });

  if (discovery === "StoredQuery") {
    const fix = "set discovery: GraphQL to filter this way, or remove the field";
    if (definitionName)
      p.add(
        `${F}.definitionName`,
        `only applies with discovery: GraphQL (discovery is StoredQuery): ${fix}`,
      );
    if (targetIds.length)
      p.add(
        `${F}.targetIds`,
        `only apply with discovery: GraphQL (discovery is StoredQuery): ${fix}`,
      );
  } else if (queryName) {
    p.add(
      `${F}.queryName`,
      `only applies with discovery: StoredQuery (discovery is ${String(discovery)}): remove it, or set discovery: StoredQuery`,
    );
  }
}

function checkCredentials(p: Problems, ref: unknown): void {
  const field = `${F}.credentialsSecretRef`;
  checkSecretRef(p, field, ref, ["usernameKey", "passwordKey", "tokenKey"]);
  const r = asRecord(ref);
  if (!r) return;
  // Two roles read from one data key: the password would be sent as the user name, or as a token.
  const keys: Array<[string, string]> = [
    ["usernameKey", asString(r.usernameKey) || "username"],
    ["passwordKey", asString(r.passwordKey) || "password"],
    ["tokenKey", asString(r.tokenKey) || "token"],
  ];
  keys.forEach(([a, key], i) => {
    const other = keys.slice(i + 1).find(([, k]) => k === key);
    if (other) {
      p.add(
        field,
        `${a} and ${other[0]} both name the data key "${key}": each must name a key of its own`,
      );
    }
  });
}

function checkTls(p: Problems, tlsValue: unknown, url: unknown): void {
  const field = `${F}.tls`;
  const tls = asRecord(tlsValue);
  if (!tls) return;
  checkSecretRef(p, `${field}.caSecretRef`, tls.caSecretRef, ["key"]);
  const skip = tls.insecureSkipVerify === true;
  if (tls.caSecretRef && skip) {
    p.add(
      field,
      "sets both caSecretRef and insecureSkipVerify: true, which contradict each other: keep caSecretRef (verify against that CA) or insecureSkipVerify (no verification), not both",
    );
  }
  let protocol = "";
  try {
    protocol = typeof url === "string" ? new URL(url).protocol : "";
  } catch {
    // a bad URL is reported on its own
  }
  if (protocol === "http:" && (tls.caSecretRef || skip)) {
    p.add(
      field,
      "has no effect with an http:// infrahubAPIURL: use an https:// URL, or remove tls",
    );
  }
}

/** Every rule on `spec.source` of an InfrahubSync. */
export function checkInfrahubSource(p: Problems, sourceValue: unknown): void {
  const source = asRecord(sourceValue);
  if (!source) {
    return p.add(
      F,
      "is required: it says where the artifacts come from (infrahubAPIURL, targetBranch, artefactName)",
    );
  }
  checkUrl(p, source.infrahubAPIURL);
  checkBranch(p, source.targetBranch);
  checkTargetDate(p, source.targetDate);
  const artefactName = asString(source.artefactName) ?? "";
  p.add(
    `${F}.artefactName`,
    nameProblem(
      artefactName,
      'the artifact name to sync (the artifact definition\'s artifact_name, e.g. "Webserver_Manifest")',
    ),
  );
  checkDiscovery(p, source);
  checkCredentials(p, source.credentialsSecretRef);
  checkTls(p, source.tls, source.infrahubAPIURL);
}
