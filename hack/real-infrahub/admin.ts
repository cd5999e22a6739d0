/**
 * What the seed and the tests do to a real Infrahub as its administrator: GraphQL and REST calls
 * with the admin API token, and the steps Infrahub itself does not chain (a changed target is not
 * re-rendered by itself: its artifact is regenerated through /api/artifact/generate).
 */

export const ARTIFACT_DEFINITION = "Webserver_Artifact_Definition";
export const ARTIFACT_NAME = "Webserver_Manifest";
export const TARGET_KIND = "KubernetesWebserver";
export const TARGET_GROUP = "webservers";

export interface ArtifactState {
  id: string;
  target: string;
  targetId: string;
  checksum: string;
  storageId: string;
  status: string;
}

export interface TargetAttributes {
  replicas?: number;
  image?: string;
}

export class InfrahubAdminError extends Error {}

/**
 * Errors a loaded Infrahub gives now and not on a second try: its task manager's database busy
 * (Prefect's 503, passed on inside a GraphQL error), a request timing out, a connection reset.
 */
function isTransient(err: unknown): boolean {
  const text = err instanceof Error ? `${err.name} ${err.message}` : String(err);
  return /503|Service Unavailable|TimeoutError|timed out|ECONNRESET|ECONNREFUSED|fetch failed|aborted/i.test(
    text,
  );
}

/**
 * Runs an action that is safe to repeat (it sets values, or `alreadyDone` tells whether a failed
 * attempt took effect anyway) up to three times when it fails transiently.
 */
export async function retrying(
  what: string,
  action: () => Promise<unknown>,
  alreadyDone?: () => Promise<boolean>,
): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await action();
      return;
    } catch (err) {
      if (attempt >= 3 || !isTransient(err)) throw err;
      await new Promise(r => setTimeout(r, attempt * 5000));
      if (await alreadyDone?.().catch(() => false)) return;
      process.stderr.write(
        `real Infrahub: ${what} failed transiently, retrying: ${(err as Error).message.slice(0, 200)}\n`,
      );
    }
  }
}

type Json = Record<string, unknown>;

export class InfrahubAdmin {
  constructor(
    readonly url: string,
    private readonly token: string,
  ) {}

  private async request(
    method: string,
    path: string,
    body?: unknown,
    timeoutMs = 300_000,
  ): Promise<{ status: number; text: string }> {
    const res = await fetch(`${this.url}${path}`, {
      method,
      headers: {
        "X-INFRAHUB-KEY": this.token,
        ...(body === undefined ? {} : { "Content-Type": "application/json" }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutMs),
    });
    return { status: res.status, text: await res.text() };
  }

  /** POST <path> with a JSON body; throws unless 2xx. */
  async post(path: string, body?: unknown): Promise<Json> {
    const res = await this.request("POST", path, body);
    if (res.status < 200 || res.status > 299)
      throw new InfrahubAdminError(`POST ${path}: ${res.status} ${res.text.slice(0, 500)}`);
    return res.text ? (JSON.parse(res.text) as Json) : {};
  }

  /** Runs a GraphQL document on `branch` (as of `at`, if given); throws on any GraphQL error. */
  async gql<T = Json>(
    query: string,
    variables: Json = {},
    branch = "main",
    at?: string,
  ): Promise<T> {
    const query_ = at ? `?at=${encodeURIComponent(at)}` : "";
    const res = await this.request("POST", `/graphql/${encodeURIComponent(branch)}${query_}`, {
      query,
      variables,
    });
    let parsed: { data?: T; errors?: unknown[] };
    try {
      parsed = JSON.parse(res.text);
    } catch {
      throw new InfrahubAdminError(`GraphQL on ${branch}: ${res.status} ${res.text.slice(0, 500)}`);
    }
    if (parsed.errors?.length || res.status !== 200 || !parsed.data)
      throw new InfrahubAdminError(
        `GraphQL on ${branch}: ${res.status} ${JSON.stringify(parsed.errors ?? parsed).slice(0, 1000)}`,
      );
    return parsed.data;
  }

  async count(kind: string, filter: string, branch = "main"): Promise<number> {
    const d = await this.gql<Record<string, { count: number }>>(
      `{ ${kind}${filter ? `(${filter})` : ""} { count } }`,
      {},
      branch,
    );
    return d[kind].count;
  }

  async targetId(name: string, branch = "main"): Promise<string> {
    const d = await this.gql<{ KubernetesWebserver: { edges: { node: { id: string } }[] } }>(
      `query($n: String!) { ${TARGET_KIND}(name__value: $n) { edges { node { id } } } }`,
      { n: name },
      branch,
    );
    const id = d.KubernetesWebserver.edges[0]?.node.id;
    if (!id) throw new InfrahubAdminError(`no ${TARGET_KIND} named ${name} on ${branch}`);
    return id;
  }

  async createTarget(name: string, attrs: TargetAttributes, branch = "main"): Promise<string> {
    const d = await this.gql<{ KubernetesWebserverCreate: { object: { id: string } } }>(
      `mutation($n: String!, $r: BigInt!, $i: String!) {
        ${TARGET_KIND}Create(data: { name: { value: $n }, replicas: { value: $r }, image: { value: $i } }) {
          ok object { id }
        }
      }`,
      { n: name, r: attrs.replicas ?? 1, i: attrs.image ?? "nginx:1.27" },
      branch,
    );
    return d.KubernetesWebserverCreate.object.id;
  }

  async updateTarget(name: string, attrs: TargetAttributes, branch = "main"): Promise<void> {
    const id = await this.targetId(name, branch);
    const data: Json = { id };
    if (attrs.replicas !== undefined) data.replicas = { value: attrs.replicas };
    if (attrs.image !== undefined) data.image = { value: attrs.image };
    await retrying(`updating ${name} on ${branch}`, () =>
      this.gql(
        `mutation($d: ${TARGET_KIND}UpdateInput!) { ${TARGET_KIND}Update(data: $d) { ok } }`,
        { d: data },
        branch,
      ),
    );
  }

  /** Every Webserver_Manifest artifact on `branch`, by target name. */
  async artifacts(branch = "main", at?: string): Promise<ArtifactState[]> {
    type Edge = {
      node: {
        id: string;
        checksum: { value: string | null };
        storage_id: { value: string | null };
        status: { value: string };
        object: { node: { id: string; display_label: string } };
      };
    };
    const d = await this.gql<{ CoreArtifact: { edges: Edge[] } }>(
      `query($n: String!) {
        CoreArtifact(name__value: $n) {
          edges { node { id checksum { value } storage_id { value } status { value }
                         object { node { id display_label } } } }
        }
      }`,
      { n: ARTIFACT_NAME },
      branch,
      at,
    );
    return d.CoreArtifact.edges
      .map(({ node: n }) => ({
        id: n.id,
        target: n.object.node.display_label,
        targetId: n.object.node.id,
        checksum: n.checksum.value ?? "",
        storageId: n.storage_id.value ?? "",
        status: n.status.value,
      }))
      .sort((a, b) => a.target.localeCompare(b.target));
  }

  async artifactOf(target: string, branch = "main"): Promise<ArtifactState> {
    const a = (await this.artifacts(branch)).find(x => x.target === target);
    if (!a) throw new InfrahubAdminError(`no ${ARTIFACT_NAME} for ${target} on ${branch}`);
    return a;
  }

  /**
   * Asks for artifacts to be rendered again on `branch`: the given artifact ids (not target ids),
   * or, without ids, a full pass over the definition's targets (creating missing artifacts).
   */
  async regenerate(branch: string, artifactIds?: string[]): Promise<void> {
    await retrying(`regenerating on ${branch}`, () =>
      this.post(
        `/api/artifact/generate/${ARTIFACT_DEFINITION}?branch=${encodeURIComponent(branch)}`,
        artifactIds ? { nodes: artifactIds } : undefined,
      ),
    );
  }

  /** One artifact by id, with as little as a poll needs (a loaded server answers slowly). */
  async artifactById(
    id: string,
    branch = "main",
  ): Promise<Omit<ArtifactState, "target" | "targetId">> {
    type Node = {
      id: string;
      checksum: { value: string | null };
      storage_id: { value: string | null };
      status: { value: string };
    };
    const d = await this.gql<{ CoreArtifact: { edges: { node: Node }[] } }>(
      `query($id: ID!) { CoreArtifact(ids: [$id]) { edges { node { id checksum { value } storage_id { value } status { value } } } } }`,
      { id },
      branch,
    );
    const n = d.CoreArtifact.edges[0]?.node;
    if (!n) throw new InfrahubAdminError(`no artifact ${id} on ${branch}`);
    return {
      id: n.id,
      checksum: n.checksum.value ?? "",
      storageId: n.storage_id.value ?? "",
      status: n.status.value,
    };
  }

  /**
   * Changes a target the way a user would, regenerates its artifact (Infrahub only does that by
   * itself for proposed changes and merges) and waits until the new content is Ready.
   */
  async changeTarget(
    target: string,
    attrs: TargetAttributes,
    branch = "main",
    timeoutMs = 10 * 60_000,
  ): Promise<ArtifactState> {
    const before = await this.artifactOf(target, branch);
    await this.updateTarget(target, attrs, branch);
    await this.regenerate(branch, [before.id]);
    const deadline = Date.now() + timeoutMs;
    let last: unknown = "nothing yet";
    for (;;) {
      // Every few seconds: the worker renders through the same API server these polls load.
      await new Promise(r => setTimeout(r, 3000));
      try {
        const a = await this.artifactById(before.id, branch);
        if (a.status === "Ready" && a.checksum && a.checksum !== before.checksum)
          return { ...a, target, targetId: before.targetId };
        last = a;
      } catch (err) {
        last = (err as Error).message;
      }
      if (Date.now() > deadline)
        throw new InfrahubAdminError(
          `${target}'s artifact on ${branch} still had checksum ${before.checksum} ${timeoutMs / 1000}s after the change; last: ${JSON.stringify(last)}`,
        );
    }
  }

  async deleteArtifact(id: string, branch = "main"): Promise<void> {
    await retrying(
      `deleting artifact ${id} on ${branch}`,
      async () => {
        await this.gql(
          `mutation($id: String!) { CoreArtifactDelete(data: { id: $id }) { ok } }`,
          { id },
          branch,
        );
      },
      async () => (await this.count("CoreArtifact", `ids: ["${id}"]`, branch)) === 0,
    );
  }

  /** Creates a branch (data only, not in git) and returns its creation time as Infrahub recorded it. */
  async createBranch(name: string): Promise<string> {
    await retrying(
      `creating branch ${name}`,
      async () => {
        await this.gql(
          `mutation($n: String!) { BranchCreate(data: { name: $n, sync_with_git: false }, wait_until_completion: true) { ok } }`,
          { n: name },
        );
      },
      async () => (await this.branchCreatedAt(name).catch(() => "")) !== "",
    );
    return this.branchCreatedAt(name);
  }

  async branchCreatedAt(name: string): Promise<string> {
    const d = await this.gql<{ Branch: { name: string; created_at: string }[] }>(
      `{ Branch { name created_at } }`,
    );
    const b = d.Branch.find(x => x.name === name);
    if (!b) throw new InfrahubAdminError(`no branch ${name}`);
    return b.created_at;
  }

  async createStoredQuery(name: string, query: string): Promise<void> {
    if ((await this.count("CoreGraphQLQuery", `name__value: "${name}"`)) > 0) return;
    await this.gql(
      `mutation($n: String!, $q: String!) { CoreGraphQLQueryCreate(data: { name: { value: $n }, query: { value: $q } }) { ok } }`,
      { n: name, q: query },
    );
  }
}
