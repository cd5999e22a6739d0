import type { Exchange } from "./http-io";
import { SimError } from "./sim-error";
import type {
  ArtifactStatus,
  InfrahubSimulator,
  SimArtifact,
  SimDefinition,
  SimFault,
} from "./types";

/** The handle plus the read-outs only the control API needs. */
export interface ControlTarget extends InfrahubSimulator {
  listFaults(): SimFault[];
  branchNames(): string[];
  definitions(): SimDefinition[];
  storedQueryNames(): string[];
  /** An artifact by id, or by target label (unique on the branch, or narrowed by definition name). */
  resolveArtifact(branch: string, ref: string, definition?: string): SimArtifact;
}

type Body = Record<string, unknown>;

/**
 * The JSON control API under `/__sim/` (see README.md for curl examples). It mirrors the handle
 * so a shell, the demo or another process can drive a running simulator. Its requests are
 * neither counted, logged nor subject to faults. Errors answer `{"error": "..."}`.
 */
export async function handleControl(sim: ControlTarget, ex: Exchange): Promise<void> {
  try {
    await dispatch(sim, ex);
  } catch (err) {
    const status = err instanceof SimError ? err.status : 500;
    ex.json(status, { error: err instanceof Error ? err.message : String(err) });
  }
}

async function dispatch(sim: ControlTarget, ex: Exchange): Promise<void> {
  const parts = ex.path.slice("/__sim/".length).split("/").filter(Boolean).map(decodeSegment);
  const branch = ex.query.get("branch") || "main";
  const key = `${ex.method} ${parts[0] ?? ""}`;
  const [, second, third] = parts;

  if (key === "GET ") {
    return ex.json(200, {
      url: sim.url,
      branches: sim.branchNames(),
      definitions: sim.definitions(),
      storedQueries: sim.storedQueryNames(),
      faults: sim.listFaults(),
      counts: sim.requestCounts(),
    });
  }
  if (parts[0] === "artifacts") return artifacts(sim, ex, branch, second, third);
  if (parts[0] === "webhooks") return webhooks(sim, ex, second);
  switch (key) {
    case "GET definitions":
      return ex.json(200, sim.definitions());
    case "POST definitions":
      return ex.json(200, sim.upsertDefinition((await jsonBody(ex)) as never));
    case "GET branches":
      return ex.json(200, sim.branchNames());
    case "POST branches": {
      const body = await jsonBody(ex);
      sim.createBranch(
        String(body.name ?? ""),
        typeof body.from === "string" ? body.from : undefined,
      );
      return ex.json(200, sim.branchNames());
    }
    case "DELETE branches":
      sim.deleteBranch(second ?? "");
      return ex.json(200, sim.branchNames());
    case "GET faults":
      return ex.json(200, sim.listFaults());
    case "POST faults":
      sim.injectFault((await jsonBody(ex)) as SimFault);
      return ex.json(200, sim.listFaults());
    case "DELETE faults":
      sim.clearFaults();
      return ex.json(200, []);
    case "GET counts":
      return ex.json(200, sim.requestCounts());
    case "DELETE counts":
      sim.resetCounts();
      return ex.json(200, {});
    case "GET requests":
      return ex.json(200, sim.requestLog);
    case "POST users": {
      const body = await jsonBody(ex);
      const active = typeof body.active === "boolean" ? body.active : undefined;
      sim.addUser(String(body.username ?? ""), body.password as string, { active });
      return ex.json(200, { ok: true });
    }
    case "POST api-tokens":
      sim.addApiToken((await jsonBody(ex)).token as string);
      return ex.json(200, { ok: true });
    case "PUT anonymous": {
      const allow = (await jsonBody(ex)).allow;
      if (typeof allow !== "boolean")
        throw new SimError('send {"allow": true} or {"allow": false}');
      sim.setAllowAnonymous(allow);
      return ex.json(200, { allowAnonymous: allow });
    }
    case "POST expire-tokens": {
      const kind = (await jsonBody(ex)).kind ?? "all";
      if (kind !== "access" && kind !== "refresh" && kind !== "all")
        throw new SimError('kind must be "access", "refresh" or "all"');
      if (kind !== "refresh") sim.expireAccessTokens();
      if (kind !== "access") sim.expireRefreshTokens();
      return ex.json(200, { expired: kind });
    }
    case "GET stored-queries":
      return ex.json(200, sim.storedQueryNames());
    case "POST stored-queries": {
      const body = await jsonBody(ex);
      sim.registerStoredQuery(body.name as string, body.query as string);
      return ex.json(200, sim.storedQueryNames());
    }
  }
  throw new SimError(
    `no control route "${ex.method} ${ex.path}"; see hack/infrahub-sim/README.md`,
    404,
  );
}

/** Outgoing webhooks: configure them, tune their delivery, read what was sent. */
async function webhooks(sim: ControlTarget, ex: Exchange, second?: string): Promise<void> {
  const key = `${ex.method} ${second ?? ""}`;
  switch (key) {
    case "GET ":
      return ex.json(200, sim.listWebhooks());
    case "POST ":
      return ex.json(200, sim.configureWebhook((await jsonBody(ex)) as never));
    case "GET deliveries":
      return ex.json(200, sim.webhookDeliveries());
    case "DELETE deliveries":
      sim.clearWebhookDeliveries();
      return ex.json(200, []);
    case "GET delivery":
      return ex.json(200, sim.webhookDeliveryOptions());
    case "PUT delivery":
      return ex.json(200, sim.setWebhookDelivery((await jsonBody(ex)) as never));
  }
  if (ex.method === "DELETE" && second) {
    sim.removeWebhook(second);
    return ex.json(200, sim.listWebhooks());
  }
  throw new SimError(
    `no control route "${ex.method} ${ex.path}"; see hack/infrahub-sim/README.md`,
    404,
  );
}

async function artifacts(
  sim: ControlTarget,
  ex: Exchange,
  branch: string,
  ref?: string,
  action?: string,
): Promise<void> {
  const definition = ex.query.get("definition") ?? undefined;
  if (ref === undefined) {
    if (ex.method === "GET") return ex.json(200, sim.listArtifacts(branch));
    if (ex.method === "POST") {
      const body = await jsonBody(ex);
      const target = typeof body.branch === "string" ? body.branch : branch;
      return ex.json(200, sim.upsertArtifact(target, body as never));
    }
  } else if (action === undefined) {
    if (ex.method === "GET") return ex.json(200, sim.resolveArtifact(branch, ref, definition));
    if (ex.method === "DELETE") {
      sim.deleteArtifact(branch, sim.resolveArtifact(branch, ref, definition).id);
      return ex.json(200, { deleted: ref });
    }
  } else if (action === "content" && (ex.method === "PUT" || ex.method === "POST")) {
    // The raw body is the new content, so `curl --data-binary @file.yaml` is all it takes.
    const id = sim.resolveArtifact(branch, ref, definition).id;
    return ex.json(200, sim.setArtifactContent(branch, id, await ex.body()));
  } else if (action === "status" && (ex.method === "PUT" || ex.method === "POST")) {
    const raw = (await ex.body()).trim();
    const status = (raw.startsWith("{") ? (parseJson(raw) as Body).status : raw) as ArtifactStatus;
    const id = sim.resolveArtifact(branch, ref, definition).id;
    return ex.json(200, sim.setArtifactStatus(branch, id, status));
  }
  throw new SimError(
    `no control route "${ex.method} ${ex.path}"; see hack/infrahub-sim/README.md`,
    404,
  );
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new SimError(`bad percent-encoding in path segment "${segment}"`);
  }
}

async function jsonBody(ex: Exchange): Promise<Body> {
  const value = parseJson(await ex.body());
  if (typeof value !== "object" || value === null || Array.isArray(value))
    throw new SimError("the body must be a JSON object");
  return value as Body;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new SimError("the body is not valid JSON");
  }
}
