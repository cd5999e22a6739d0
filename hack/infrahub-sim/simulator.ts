import { randomBytes, randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { ArtifactStore, type ArtifactState } from "./artifact-store";
import { AuthService } from "./auth";
import { MicroClock } from "./clock";
import { handleControl, type ControlTarget } from "./control-api";
import { FaultBook, applyFault } from "./faults";
import { GraphQLRunner } from "./graphql-runner";
import { Exchange } from "./http-io";
import { createRootValue } from "./resolvers";
import { RequestLog } from "./request-log";
import { routeFor } from "./router";
import { applySeedData, loadSeed } from "./seed";
import { SimError } from "./sim-error";
import type { SimCore } from "./sim-core";
import { StoredQueries, VIDRA_ARTIFACT_IDS_QUERY } from "./stored-queries";
import { toSimArtifact, toSimDefinition } from "./views";
import {
  WebhookSender,
  type SimWebhook,
  type WebhookDelivery,
  type WebhookDeliveryOptions,
} from "./webhooks";
import type {
  ArtifactInput,
  ArtifactStatus,
  InfrahubSimulator,
  RequestLogEntry,
  SimArtifact,
  SimDefinition,
  SimFault,
  SimulatorOptions,
  SimulatorSeed,
} from "./types";

/**
 * The version `/api/info` and `InfrahubInfo` report unless the seed says otherwise: the server
 * version the simulator is calibrated against, marked as a simulator.
 */
export const SIMULATOR_VERSION = "1.11.9-sim";

/**
 * Starts a simulator on `opts.host:opts.port` (default 127.0.0.1 and a free port). The seed is
 * loaded completely before the port opens, so no request ever sees half of it.
 */
export async function startInfrahubSimulator(
  opts: SimulatorOptions = {},
): Promise<InfrahubSimulator> {
  const seed = opts.seed === undefined ? {} : loadSeed(opts.seed);
  const sim = new Simulator(opts, seed);
  applySeedData(sim, seed);
  await sim.listen(opts.port ?? 0, opts.host ?? "127.0.0.1");
  return sim;
}

/** The simulator behind the `InfrahubSimulator` handle. */
export class Simulator implements ControlTarget {
  private readonly store: ArtifactStore;
  private readonly core: SimCore;
  private readonly faults = new FaultBook();
  private readonly log = new RequestLog();
  private readonly hanging = new Set<Exchange>();
  private readonly sockets = new Set<Socket>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly server: Server;
  private readonly controlApi: boolean;
  private readonly webhooks = new WebhookSender();
  private stopped?: Promise<void>;
  private address = "";

  constructor(opts: SimulatorOptions, seed: SimulatorSeed) {
    this.store = new ArtifactStore(new MicroClock());
    const runner = new GraphQLRunner(this.store);
    const info = {
      version: seed.version ?? SIMULATOR_VERSION,
      deploymentId: seed.deploymentId ?? randomUUID(),
    };
    const auth = new AuthService(
      opts.jwtSecret ?? seed.jwtSecret ?? randomBytes(32).toString("hex"),
      {
        allowAnonymous: opts.allowAnonymous ?? seed.allowAnonymous ?? true,
        accessLifetimeSeconds:
          opts.accessTokenLifetimeSeconds ?? seed.accessTokenLifetimeSeconds ?? 3600,
        refreshLifetimeSeconds:
          opts.refreshTokenLifetimeSeconds ?? seed.refreshTokenLifetimeSeconds ?? 2_592_000,
      },
    );
    const storedQueries = new StoredQueries(runner);
    storedQueries.register("ArtifactIDs", VIDRA_ARTIFACT_IDS_QUERY);
    this.core = {
      store: this.store,
      auth,
      runner,
      rootValue: createRootValue(this.store, info),
      storedQueries,
      info,
    };
    this.controlApi = opts.controlApi ?? false;
    this.server = createServer((req, res) => void this.handle(req, res));
    this.server.on("connection", socket => {
      this.sockets.add(socket);
      socket.on("close", () => this.sockets.delete(socket));
    });
    this.server.on("clientError", (_err, socket) => socket.destroy());
  }

  get url(): string {
    return this.address;
  }

  listen(port: number, host: string): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once("error", reject);
      this.server.listen(port, host, () => {
        this.server.off("error", reject);
        const addr = this.server.address() as AddressInfo;
        this.address = `http://${host.includes(":") ? `[${host}]` : host}:${addr.port}`;
        resolve();
      });
    });
  }

  /** Closes the server, destroys keep-alive and hung sockets, cancels pending latency timers. */
  stop(): Promise<void> {
    this.stopped ??= new Promise<void>(resolve => {
      this.webhooks.stop();
      for (const timer of this.timers) clearTimeout(timer);
      this.timers.clear();
      this.server.close(() => resolve());
      for (const socket of this.sockets) socket.destroy();
      this.hanging.clear();
    });
    return this.stopped;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = process.hrtime.bigint();
    const ex = new Exchange(req, res, started, (done, status) => this.log.record(done, status));
    try {
      if (this.controlApi && ex.path.startsWith("/__sim/")) {
        const control = new Exchange(req, res, started, () => undefined);
        return await handleControl(this, control);
      }
      const route = routeFor(ex.method, ex.path);
      ex.endpoint = route.endpoint;
      this.log.count(route.endpoint);
      const decision = this.faults.take(route.endpoint, ex.path);
      if (decision.latencyMs > 0 && !(await this.sleep(decision.latencyMs))) return;
      if (decision.fault) return applyFault(ex, decision.fault, this.hanging);
      await route.handler(this.core, ex);
    } catch (err) {
      // A simulator bug: answer like an unhandled server error and say what happened on stderr.
      process.stderr.write(
        `infrahub-sim: ${ex.method} ${ex.path} failed: ${err instanceof Error ? err.stack : String(err)}\n`,
      );
      if (!ex.isFinished && !res.headersSent) ex.serverError();
    }
  }

  /** Resolves true after `ms`, or false if the simulator stopped meanwhile. */
  private sleep(ms: number): Promise<boolean> {
    return new Promise(resolve => {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        resolve(this.stopped === undefined);
      }, ms);
      this.timers.add(timer);
    });
  }

  /** Oldest first; the last 1000 requests. */
  get requestLog(): ReadonlyArray<RequestLogEntry> {
    return this.log.entries();
  }

  requestCounts(): Record<string, number> {
    return this.log.countsByEndpoint();
  }

  /** Clears the counts and the request log. */
  resetCounts(): void {
    this.log.reset();
  }

  upsertDefinition(def: {
    name: string;
    artifactName: string;
    contentType?: string;
    parameters?: unknown;
  }): SimDefinition {
    return toSimDefinition(this.store.catalog.upsertDefinition(def));
  }

  definitions(): SimDefinition[] {
    return this.store.catalog.definitions().map(toSimDefinition);
  }

  upsertArtifact(branch: string, a: ArtifactInput): SimArtifact {
    const before = new Map(this.store.list(branch).map(x => [x.id, x]));
    const after = this.store.upsertArtifact(branch, a);
    this.artifactEvent(branch, before.get(after.id), after);
    return this.toSim(after);
  }

  setArtifactContent(branch: string, artifactId: string, content: string): SimArtifact {
    const before = this.store.get(branch, artifactId);
    const after = this.store.setContent(branch, artifactId, content);
    this.artifactEvent(branch, before, after);
    return this.toSim(after);
  }

  /**
   * Infrahub emits infrahub.artifact.created / .updated when an artifact generation stores new
   * content (git/integrator.py); status changes and deletions emit no artifact event.
   */
  private artifactEvent(branch: string, before: ArtifactState | undefined, after: ArtifactState) {
    if (after.checksum === null || after.storageId === null) return;
    if (before && before.checksum === after.checksum && before.storageId === after.storageId)
      return;
    const def = this.store.definition(after.definitionId);
    const target = this.store.target(after.targetId);
    this.webhooks.emit({
      type: before ? "infrahub.artifact.updated" : "infrahub.artifact.created",
      branch,
      nodeKind: "CoreArtifact",
      data: {
        node_id: after.id,
        artifact_definition_id: after.definitionId,
        artifact_definition_name: def?.name ?? "",
        target_id: after.targetId,
        target_kind: target?.kind ?? "",
        checksum: after.checksum,
        checksum_previous: before?.checksum ?? null,
        storage_id: after.storageId,
        storage_id_previous: before?.storageId ?? null,
      },
    });
  }

  configureWebhook(hook: SimWebhook): SimWebhook {
    return this.webhooks.configure(hook);
  }

  removeWebhook(name: string): void {
    this.webhooks.remove(name);
  }

  listWebhooks(): SimWebhook[] {
    return this.webhooks.list();
  }

  setWebhookDelivery(options: Partial<WebhookDeliveryOptions>): WebhookDeliveryOptions {
    return this.webhooks.setDelivery(options);
  }

  webhookDeliveryOptions(): WebhookDeliveryOptions {
    return this.webhooks.deliveryOptions();
  }

  webhookDeliveries(): WebhookDelivery[] {
    return this.webhooks.deliveries();
  }

  clearWebhookDeliveries(): void {
    this.webhooks.clearDeliveries();
  }

  setArtifactStatus(branch: string, artifactId: string, status: ArtifactStatus): SimArtifact {
    return this.toSim(this.store.setStatus(branch, artifactId, status));
  }

  deleteArtifact(branch: string, artifactId: string): void {
    this.store.deleteArtifact(branch, artifactId);
  }

  listArtifacts(branch: string): SimArtifact[] {
    return this.store.list(branch).map(a => this.toSim(a));
  }

  resolveArtifact(branch: string, ref: string, definition?: string): SimArtifact {
    const byId = this.store.get(branch, ref);
    if (byId) return this.toSim(byId);
    const matches = this.listArtifacts(branch).filter(
      a => a.targetLabel === ref && (!definition || a.definitionName === definition),
    );
    if (matches.length === 1) return matches[0];
    if (matches.length === 0)
      throw new SimError(`no artifact with id or target label "${ref}" on branch ${branch}`, 404);
    throw new SimError(
      `target "${ref}" has ${matches.length} artifacts on branch ${branch}; add ?definition=<name>`,
      409,
    );
  }

  createBranch(name: string, from?: string): void {
    this.store.createBranch(name, from);
  }

  deleteBranch(name: string): void {
    this.store.deleteBranch(name);
  }

  branchNames(): string[] {
    return this.store.branchNames();
  }

  registerStoredQuery(name: string, query: string): void {
    this.core.storedQueries.register(name, query);
  }

  storedQueryNames(): string[] {
    return this.core.storedQueries.names();
  }

  addUser(username: string, password: string, opts?: { active?: boolean; role?: string }): void {
    this.core.auth.addUser(username, password, opts);
  }

  addApiToken(token: string): void {
    this.core.auth.addApiToken(token);
  }

  setAllowAnonymous(allow: boolean): void {
    this.core.auth.allowAnonymous = allow;
  }

  expireAccessTokens(): void {
    this.core.auth.expireAccessTokens();
  }

  expireRefreshTokens(): void {
    this.core.auth.expireRefreshTokens();
  }

  injectFault(fault: SimFault): void {
    this.faults.inject(fault);
  }

  clearFaults(): void {
    this.faults.clear();
  }

  listFaults(): SimFault[] {
    return this.faults.list();
  }

  private toSim(a: ArtifactState): SimArtifact {
    return toSimArtifact(this.store, a);
  }
}
