import {
  startInfrahubSimulator,
  type InfrahubSimulator,
  type SimulatorOptions,
} from "../../hack/infrahub-sim";
import {
  InfrahubClientRegistry,
  type InfrahubClientOptions,
  type InfrahubConnection,
} from "../../capabilities/lib/infrahub";
import type { InfrahubRequestObservation } from "../../capabilities/lib/infrahub";
import { recordingLogger, type LogRecord } from "../../capabilities/lib/logger";

export const USER = "sync-bot";
export const PASSWORD = "Pa55word-never-print-me";
export const API_TOKEN = "06438eb2-8019-4776-878c-0941b1f1d1ec";
export const DEFINITION = "Webserver_Artifact_Definition";
export const ARTIFACT_NAME = "Webserver_Manifest";

export const manifest = (name: string) =>
  `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\ndata:\n  k: v\n`;

/** A simulator with one user, one API token and one definition. */
export function startSim(opts: SimulatorOptions = {}): Promise<InfrahubSimulator> {
  return startInfrahubSimulator({
    allowAnonymous: false,
    ...opts,
    seed: {
      users: [{ username: USER, password: PASSWORD }],
      apiTokens: [API_TOKEN],
      definitions: [
        { name: DEFINITION, artifactName: ARTIFACT_NAME, contentType: "application/yaml" },
      ],
      ...(typeof opts.seed === "object" ? opts.seed : {}),
    },
  });
}

/** Small delays so the suite stays fast; generous timeouts for a noisy machine. */
export const FAST: InfrahubClientOptions = {
  timeoutMs: 5_000,
  retry: { maxAttempts: 4, baseDelayMs: 5, maxDelayMs: 40, maxRetryAfterMs: 5_000 },
  breaker: { consecutiveFailures: 100, halfOpenAfterMs: 60_000 },
};

export interface Harness {
  registry: InfrahubClientRegistry;
  records: LogRecord[];
  observations: InfrahubRequestObservation[];
}

/** A registry with a recording logger and request observer; close it in afterEach/afterAll. */
export function harness(options: InfrahubClientOptions = {}): Harness {
  const logger = recordingLogger();
  const observations: InfrahubRequestObservation[] = [];
  const registry = new InfrahubClientRegistry({
    ...FAST,
    ...options,
    retry: { ...FAST.retry, ...options.retry },
    breaker: { ...FAST.breaker, ...options.breaker },
    logger,
    onRequest: o => observations.push(o),
  });
  return { registry, records: logger.records, observations };
}

export const passwordConnection = (
  sim: InfrahubSimulator,
  password = PASSWORD,
  username = USER,
): InfrahubConnection => ({
  url: sim.url,
  auth: { kind: "password", username, password },
});
export const tokenConnection = (sim: InfrahubSimulator, token = API_TOKEN): InfrahubConnection => ({
  url: sim.url,
  auth: { kind: "token", token },
});
export const anonymousConnection = (sim: InfrahubSimulator): InfrahubConnection => ({
  url: sim.url,
  auth: { kind: "anonymous" },
});

/** Seeds `n` Ready artifacts of DEFINITION on `branch`; returns them in creation order. */
export function seedArtifacts(sim: InfrahubSimulator, n: number, branch = "main", prefix = "web") {
  return Array.from({ length: n }, (_, i) =>
    sim.upsertArtifact(branch, {
      definition: DEFINITION,
      target: { label: `${prefix}-${String(i).padStart(4, "0")}` },
      content: manifest(`${prefix}-${i}`),
    }),
  );
}

/** The rejection of `promise` (fails the test when it resolves). */
export async function rejectionOf(
  promise: Promise<unknown>,
): Promise<Error & Record<string, unknown>> {
  try {
    await promise;
  } catch (err) {
    return err as Error & Record<string, unknown>;
  }
  throw new Error("expected the call to fail");
}

/** Every text an error exposes: message, name and the whole cause chain. */
export function errorTexts(err: unknown): string {
  const parts: string[] = [];
  let current: unknown = err;
  for (let depth = 0; current !== undefined && depth < 10; depth++) {
    if (current instanceof Error) {
      parts.push(current.name, current.message, String(current.stack ?? ""));
      current = (current as Error & { cause?: unknown }).cause;
    } else {
      parts.push(JSON.stringify(current) ?? String(current));
      current = undefined;
    }
  }
  return parts.join("\n");
}
