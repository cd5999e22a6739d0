/**
 * Infrahub's side of push sync on a real server: the CoreStandardWebhooks a user creates (from the
 * project's own deploy/infrahub/webhooks.graphql), and the wait until Infrahub has turned each into
 * a Prefect automation, which is what makes it fire. Creating the object only queues Infrahub's
 * `webhook-configure` flow; an event before that flow has run is not sent anywhere.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { retrying, type InfrahubAdmin } from "./admin";

export const SHIPPED_WEBHOOKS_GRAPHQL = join(
  __dirname,
  "..",
  "..",
  "deploy",
  "infrahub",
  "webhooks.graphql",
);

export interface WebhookSpec {
  name: string;
  /** `all` or one event name, e.g. `infrahub.artifact.updated`. */
  eventType: string;
  branchScope: "all_branches" | "default_branch" | "other_branches";
  nodeKind?: string;
  url: string;
  sharedKey: string;
  validateCertificates: boolean;
}

/**
 * deploy/infrahub/webhooks.graphql with what a user replaces filled in (and the names suffixed, so
 * runs sharing an Infrahub do not collide on the unique name).
 */
export function shippedWebhookMutation(opts: {
  url: string;
  sharedKey: string;
  validateCertificates: boolean;
  nameSuffix: string;
}): string {
  const doc = readFileSync(SHIPPED_WEBHOOKS_GRAPHQL, "utf8");
  const replaced = doc
    .replace(/url: \{ value: "[^"]*" \}/g, `url: { value: ${JSON.stringify(opts.url)} }`)
    .replace(
      /shared_key: \{ value: "[^"]*" \}/g,
      `shared_key: { value: ${JSON.stringify(opts.sharedKey)} }`,
    )
    .replace(
      /validate_certificates: \{ value: (true|false) \}/g,
      `validate_certificates: { value: ${opts.validateCertificates} }`,
    )
    .replace(
      /name: \{ value: "(vidra-pepr-[^"]*)" \}/g,
      `name: { value: "$1-${opts.nameSuffix}" }`,
    );
  // The user-facing document must keep the shape this rewrite relies on.
  for (const field of ["url", "shared_key", "validate_certificates", "name"])
    if ((replaced.match(new RegExp(`${field}: \\{ value`, "g")) ?? []).length !== 2)
      throw new Error(`${SHIPPED_WEBHOOKS_GRAPHQL}: expected two webhooks with a literal ${field}`);
  return replaced;
}

/** Ids of the CoreStandardWebhooks with these names (webhooks are branch-agnostic). */
async function idsByName(admin: InfrahubAdmin, names: string[]): Promise<Map<string, string>> {
  const d = await admin.gql<{
    CoreStandardWebhook: { edges: { node: { id: string; name: { value: string } } }[] };
  }>(
    `query($n: [String]) { CoreStandardWebhook(name__values: $n) { edges { node { id name { value } } } } }`,
    { n: names },
  );
  return new Map(d.CoreStandardWebhook.edges.map(e => [e.node.name.value, e.node.id]));
}

/**
 * Runs a creating mutation, retried when the loaded server drops the connection (unless the
 * webhooks were made anyway), and returns the webhooks' ids by name.
 */
async function create(admin: InfrahubAdmin, mutation: string, names: string[]): Promise<string[]> {
  await retrying(
    `creating webhooks ${names.join(", ")}`,
    () => admin.gql(mutation),
    async () => (await idsByName(admin, names)).size === names.length,
  );
  const ids = await idsByName(admin, names);
  return names.map(n => {
    const id = ids.get(n);
    if (!id) throw new Error(`webhook ${n} was not created`);
    return id;
  });
}

/** Runs deploy/infrahub/webhooks.graphql; returns the ids of the created/updated webhooks. */
export async function createShippedWebhooks(
  admin: InfrahubAdmin,
  opts: Parameters<typeof shippedWebhookMutation>[0],
): Promise<{ created: string; updated: string }> {
  const mutation = shippedWebhookMutation(opts);
  const names = [...mutation.matchAll(/name: \{ value: "([^"]*)" \}/g)].map(m => m[1]);
  const ids = await create(admin, mutation, names);
  const id = (event: string) => ids[names.findIndex(n => n.includes(`artifact-${event}`))];
  return { created: id("created"), updated: id("updated") };
}

/** One CoreStandardWebhook (literal values: several of its inputs are GenericScalar). */
export async function createStandardWebhook(
  admin: InfrahubAdmin,
  spec: WebhookSpec,
): Promise<string> {
  const lit = JSON.stringify;
  const mutation = `mutation {
      CoreStandardWebhookCreate(data: {
        name: { value: ${lit(spec.name)} }
        event_type: { value: ${lit(spec.eventType)} }
        branch_scope: { value: ${lit(spec.branchScope)} }
        ${spec.nodeKind ? `node_kind: { value: ${lit(spec.nodeKind)} }` : ""}
        url: { value: ${lit(spec.url)} }
        shared_key: { value: ${lit(spec.sharedKey)} }
        validate_certificates: { value: ${spec.validateCertificates} }
      }) { ok }
    }`;
  return (await create(admin, mutation, [spec.name]))[0];
}

export async function deleteWebhook(admin: InfrahubAdmin, id: string): Promise<void> {
  await retrying(
    `deleting webhook ${id}`,
    () =>
      admin.gql(`mutation($id: String!) { CoreStandardWebhookDelete(data: { id: $id }) { ok } }`, {
        id,
      }),
    async () => (await admin.count("CoreStandardWebhook", `ids: ["${id}"]`)) === 0,
  );
}

/** Names of the automations in Infrahub's task manager (Prefect). */
export async function automationNames(prefectUrl: string): Promise<string[]> {
  const res = await fetch(`${prefectUrl}/api/automations/filter`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: "{}",
    signal: AbortSignal.timeout(60_000),
  });
  if (!res.ok) throw new Error(`Prefect automations: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { name: string }[]).map(a => a.name);
}

/**
 * Waits until every webhook has its automation (Infrahub names it `webhook::<id>`). Prefect loads
 * an automation into its trigger evaluation as it is created, so from then on events are sent.
 */
export async function waitForWebhookAutomations(
  prefectUrl: string,
  webhookIds: string[],
  timeoutMs = 10 * 60_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let missing = webhookIds;
  let last = "";
  for (;;) {
    try {
      const names = new Set(await automationNames(prefectUrl));
      missing = webhookIds.filter(id => !names.has(`webhook::${id}`));
      if (missing.length === 0) return;
    } catch (err) {
      last = (err as Error).message;
    }
    if (Date.now() > deadline)
      throw new Error(
        `Infrahub set up no automation for webhook(s) ${missing.join(", ")} within ${timeoutMs / 1000}s${last ? ` (last error: ${last})` : ""}`,
      );
    await new Promise(r => setTimeout(r, 2000));
  }
}
