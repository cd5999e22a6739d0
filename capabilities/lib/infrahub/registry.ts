import { createHash, createHmac, randomBytes } from "node:crypto";
import type http from "node:http";
import { AddressBreaker } from "./circuit-breaker";
import { createBreaker, InfrahubClient } from "./client";
import { createAgent } from "./http-transport";
import { resolveOptions, type ResolvedOptions } from "./options";
import { normaliseAddress } from "./redact";
import type { InfrahubClientOptions, InfrahubConnection } from "./types";

/**
 * Hands out one InfrahubClient per Infrahub address + identity, so every sync that points at the
 * same Infrahub with the same credentials shares one login (token cache), and every sync pointing
 * at the same address shares one circuit breaker; connection pools are shared per address + TLS
 * settings. Keys never contain secrets: they hold an HMAC of the secret under a per-registry salt.
 * A rotated credential gets a new client (and login); the old one stays until `close()`.
 */
export class InfrahubClientRegistry {
  private readonly resolved: ResolvedOptions;
  private readonly salt = randomBytes(32);
  private readonly clients = new Map<string, InfrahubClient>();
  private readonly agents = new Map<string, http.Agent>();
  private readonly breakers = new Map<string, AddressBreaker>();

  constructor(private readonly options: InfrahubClientOptions = {}) {
    this.resolved = resolveOptions(options);
  }

  /**
   * The shared client for this connection, created on first use.
   * @throws InfrahubConfigError for an unusable URL, CA bundle or credential
   */
  get(connection: InfrahubConnection): InfrahubClient {
    const address = normaliseAddress(connection.url);
    const agentKey = [
      address,
      connection.tls?.caPem === undefined
        ? "-"
        : createHash("sha256").update(connection.tls.caPem).digest("hex"),
      connection.tls?.insecureSkipTlsVerify === true ? "insecure" : "verify",
    ].join("|");
    const clientKey = `${agentKey}|${this.identity(connection)}`;
    const existing = this.clients.get(clientKey);
    if (existing) return existing;

    let agent = this.agents.get(agentKey);
    if (agent === undefined) {
      agent = createAgent(address, connection.tls);
      this.agents.set(agentKey, agent);
    }
    let breaker = this.breakers.get(address);
    if (breaker === undefined) {
      breaker = createBreaker(address, this.resolved, this.options);
      this.breakers.set(address, breaker);
    }
    const client = new InfrahubClient(connection, this.options, { agent, breaker });
    this.clients.set(clientKey, client);
    return client;
  }

  /** Number of distinct clients (address + identity) handed out so far. */
  get size(): number {
    return this.clients.size;
  }

  /** Drops every client and closes every pooled connection. */
  close(): void {
    for (const agent of this.agents.values()) agent.destroy();
    this.agents.clear();
    this.clients.clear();
    this.breakers.clear();
  }

  private identity(connection: InfrahubConnection): string {
    const auth = connection.auth;
    const mac = (secret: string) => createHmac("sha256", this.salt).update(secret).digest("hex");
    switch (auth.kind) {
      case "anonymous":
        return "anonymous";
      case "token":
        return `token|${mac(auth.token)}`;
      case "password":
        return `password|${JSON.stringify(auth.username)}|${mac(auth.password)}`;
    }
  }
}
