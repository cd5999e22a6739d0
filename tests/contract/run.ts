import { createHmac } from "node:crypto";
import { CASES, SkipCase, type CaseContext, type ContractCase, type Tokens } from "./cases";
import { discoverFacts, type Facts } from "./facts";
import { jsonOf, send } from "./http";
import { Normaliser } from "./normalise";
import type { ContractRecording, ContractRequest, ContractTarget } from "./types";

/**
 * Runs the contract suite against one server (real Infrahub or the simulator) and returns the
 * normalised answers, keyed by case id. The server must hold the reference seed (see
 * hack/infrahub-sim/README.md, "The contract"); `target.seed` renames its objects when they are named differently.
 * Cases run one after another, in list order, each on a fresh connection.
 */
export async function runContract(
  target: ContractTarget,
  opts: { cases?: ContractCase[] } = {},
): Promise<ContractRecording> {
  const facts = await discoverFacts(target);
  const normaliser = new Normaliser(facts, { apiToken: target.credentials.apiToken });
  const ctx = new Context(target, facts);
  const recording: ContractRecording = {
    server: { version: facts.version },
    world: facts.world,
    cases: {},
  };
  for (const c of opts.cases ?? CASES) {
    let req: ContractRequest;
    try {
      req = await c.request(ctx);
    } catch (err) {
      if (!(err instanceof SkipCase)) throw err;
      recording.cases[c.id] = { skipped: err.message };
      continue;
    }
    const res = await send(target.url, req);
    recording.cases[c.id] = normaliser.observe(req, res, { headers: c.headers, byRank: c.byRank });
  }
  return recording;
}

class Context implements CaseContext {
  readonly key: Record<string, string>;
  private shared?: Promise<Tokens>;

  constructor(
    private readonly target: ContractTarget,
    readonly facts: Facts,
  ) {
    this.key = { "X-INFRAHUB-KEY": target.credentials.apiToken };
  }

  get names() {
    return this.facts.names;
  }

  get credentials() {
    return this.target.credentials;
  }

  art(label: string, branch = "main") {
    const a = this.facts.artifacts[branch]?.[label];
    if (!a) throw new Error(`contract case: no artifact for ${label} on ${branch}`);
    return a;
  }

  session(): Promise<Tokens> {
    this.shared ??= this.freshSession();
    return this.shared;
  }

  async freshSession(): Promise<Tokens> {
    const { username, password } = this.target.credentials;
    const res = await this.send({
      method: "POST",
      path: "/api/auth/login",
      headers: { "Content-Type": "application/json" },
      body: { username, password },
    });
    const body = jsonOf(res) as { access_token?: string; refresh_token?: string } | undefined;
    if (res.status !== 200 || !body?.access_token || !body.refresh_token)
      throw new Error(`contract: login as ${username} failed with HTTP ${res.status}`);
    return { access: body.access_token, refresh: body.refresh_token };
  }

  forge(token: string, how: "expired" | "wrong-key"): string {
    const secret =
      how === "wrong-key" ? "a-key-the-server-does-not-know" : this.target.credentials.jwtSecret;
    if (secret === undefined) throw new SkipCase("needs credentials.jwtSecret to forge a token");
    const [header, payload] = token.split(".");
    const claims = JSON.parse(Buffer.from(payload, "base64url").toString("utf8"));
    if (how === "expired") {
      // Issued two hours ago with a one-minute lifetime: expired, otherwise valid.
      const issued = Math.floor(Date.now() / 1000) - 7200;
      Object.assign(claims, { iat: issued, nbf: issued, exp: issued + 60 });
    }
    const unsigned = `${header}.${Buffer.from(JSON.stringify(claims)).toString("base64url")}`;
    const signature = createHmac("sha256", secret).update(unsigned).digest("base64url");
    return `${unsigned}.${signature}`;
  }

  send(req: ContractRequest) {
    return send(this.target.url, req);
  }
}
