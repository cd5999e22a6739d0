import { createHash, createHmac, randomBytes } from "node:crypto";
import type http from "node:http";
import { AddressBreaker } from "./circuit-breaker";
import { createBreaker, InfrahubClient } from "./client";
import { createAgent } from "./http-transport";
import { resolveOptions, type ResolvedOptions } from "./options";
import { normaliseAddress } from "./redact";
import type { InfrahubClientOptions, InfrahubConnection } from "./types";

/** The holder of clients handed out without one: they stay until close(). */
const UNHELD = "\u0000unheld";

/** One handed-out client, the pool and breaker it uses, and who holds it. */
interface Entry {
  client: InfrahubClient;
  agentKey: string;
  address: string;
  holders: Set<string>;
}

/**
 * Hands out one InfrahubClient per Infrahub address + identity, so every sync that points at the
 * same Infrahub with the same credentials shares one login (token cache), and every sync pointing
 * at the same address shares one circuit breaker; connection pools are shared per address + TLS
 * settings. Keys never contain secrets: they hold an HMAC of the secret under a per-registry salt.
 *
 * Clients are held by name (a sync): a holder has one client at a time, so a rotated credential or
 * a new URL moves it to another client, and `release` lets go when the sync is deleted. A client
 * nobody holds is dropped, with its connection pool and breaker once no other client uses them, so
 * the registry holds what the live syncs use, not every identity it ever saw.
 */
export class InfrahubClientRegistry {
  private readonly resolved: ResolvedOptions;
  private readonly salt = randomBytes(32);
  private readonly clients = new Map<string, Entry>();
  /** holder → the key of the client it holds. */
  private readonly held = new Map<string, string>();
  private readonly agents = new Map<string, http.Agent>();
  private readonly breakers = new Map<string, AddressBreaker>();

  constructor(private readonly options: InfrahubClientOptions = {}) {
    this.resolved = resolveOptions(options);
  }

  /**
   * The shared client for this connection, created on first use and held by `holder` until it asks
   * for another one or is released. Without a holder the client stays until `close()`.
   * @throws InfrahubConfigError for an unusable URL, CA bundle or credential
   */
  get(connection: InfrahubConnection, holder?: string): InfrahubClient {
    const address = normaliseAddress(connection.url);
    const agentKey = [
      address,
      connection.tls?.caPem === undefined
        ? "-"
        : createHash("sha256").update(connection.tls.caPem).digest("hex"),
      connection.tls?.insecureSkipTlsVerify === true ? "insecure" : "verify",
    ].join("|");
    const clientKey = `${agentKey}|${this.identity(connection)}`;
    const entry =
      this.clients.get(clientKey) ?? this.create(connection, clientKey, agentKey, address);
    const holderKey = holder ?? UNHELD;
    entry.holders.add(holderKey);
    if (holder !== undefined) {
      const before = this.held.get(holder);
      this.held.set(holder, clientKey);
      if (before !== undefined && before !== clientKey) this.letGo(before, holder);
    }
    return entry.client;
  }

  /** The holder no longer needs a client (its sync is gone). */
  release(holder: string): void {
    const key = this.held.get(holder);
    if (key === undefined) return;
    this.held.delete(holder);
    this.letGo(key, holder);
  }

  /** Number of distinct clients (address + identity) held now. */
  get size(): number {
    return this.clients.size;
  }

  /** Connection pools and circuit breakers in use (one per address + TLS settings, per address). */
  get pools(): { agents: number; breakers: number } {
    return { agents: this.agents.size, breakers: this.breakers.size };
  }

  /** Drops every client and closes every pooled connection. */
  close(): void {
    for (const agent of this.agents.values()) agent.destroy();
    this.agents.clear();
    this.clients.clear();
    this.held.clear();
    this.breakers.clear();
  }

  private create(
    connection: InfrahubConnection,
    clientKey: string,
    agentKey: string,
    address: string,
  ): Entry {
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
    const entry: Entry = { client, agentKey, address, holders: new Set() };
    this.clients.set(clientKey, entry);
    return entry;
  }

  /** `holder` lets go of the client under `key`; a client nobody holds is dropped. */
  private letGo(key: string, holder: string): void {
    const entry = this.clients.get(key);
    if (!entry) return;
    entry.holders.delete(holder);
    if (entry.holders.size > 0) return;
    this.clients.delete(key);
    const rest = [...this.clients.values()];
    if (!rest.some(e => e.agentKey === entry.agentKey)) {
      this.agents.get(entry.agentKey)?.destroy();
      this.agents.delete(entry.agentKey);
    }
    if (!rest.some(e => e.address === entry.address)) this.breakers.delete(entry.address);
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
