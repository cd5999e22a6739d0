import { backoffDelayMs } from "./backoff";
import { errorMessage, OperatorError } from "./errors";
import type { ApplyOptions, KubeObject } from "./kube/client";
import { KubeApiError } from "./kube/errors";
import type { Logger } from "./logger";

/** The field manager of the CRDs the watcher applies (and of nothing else). */
export const CRD_FIELD_MANAGER = "vidra-pepr";

const CRD_BASE = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions";

/** What the installer needs from a KubeClient (tests pass a fake). */
export interface CrdApi {
  readonly server: string;
  apply<T = KubeObject>(path: string, obj: unknown, opts: ApplyOptions): Promise<T>;
  getOptional<T = KubeObject>(path: string): Promise<T | undefined>;
}

/** A CustomResourceDefinition as crds/sources/*.ts export it. */
export interface CrdManifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string };
  spec: unknown;
}

interface CrdCondition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
}

type LiveCrd = KubeObject & { status?: { conditions?: CrdCondition[] } };

/** The CRDs could not be installed or did not become Established. Always worth retrying. */
export class CrdInstallError extends OperatorError {
  constructor(message: string, reason: string, cause?: unknown) {
    super(message, { reason, retryable: true, cause });
  }
}

/**
 * Only the watcher (PEPR_WATCH_MODE=true) and dev mode install CRDs: the admission pods load the same
 * module, and `pepr build` runs it with PEPR_MODE=build to collect bindings.
 */
export function shouldInstallCrds(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.PEPR_WATCH_MODE === "true" || env.PEPR_MODE === "dev";
}

export interface ApplyCrdsOptions {
  fieldManager?: string;
  /** How long one pass waits for Established before it counts as failed. Default 60 s. */
  establishTimeoutMs?: number;
  pollIntervalMs?: number;
  signal?: AbortSignal;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  now?: () => number;
}

/** Resolves after `ms`, or rejects when `signal` aborts first. */
export function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

function describeFailure(err: unknown, crd: string, server: string): CrdInstallError {
  if (err instanceof CrdInstallError) return err;
  if (err instanceof KubeApiError && err.status === 403) {
    return new CrdInstallError(
      `the operator may not apply CustomResourceDefinition ${crd} on ${server}: its ClusterRole needs ` +
        `create, get, patch and update on customresourcedefinitions named ${crd} ` +
        "(package.json pepr.rbac, written by `npm run gen:rbac`; see docs/deploy.md)",
      "CrdForbidden",
      err,
    );
  }
  if (err instanceof KubeApiError && (err.status === 422 || err.status === 400)) {
    return new CrdInstallError(
      `the API server on ${server} rejected CustomResourceDefinition ${crd}: ${err.message}`,
      "CrdRejected",
      err,
    );
  }
  if (err instanceof KubeApiError && err.status === 0) {
    return new CrdInstallError(
      `cannot reach the API server to apply CustomResourceDefinition ${crd}: ${err.message}`,
      "KubernetesUnreachable",
      err,
    );
  }
  return new CrdInstallError(
    `applying CustomResourceDefinition ${crd} on ${server} failed: ${errorMessage(err)}`,
    err instanceof OperatorError ? err.reason : "CrdApplyFailed",
    err,
  );
}

/** True once Established; throws when the API server refused the names (another CRD has them). */
function established(live: LiveCrd | undefined, name: string): boolean {
  const conditions = live?.status?.conditions ?? [];
  const names = conditions.find(c => c.type === "NamesAccepted");
  if (names?.status === "False") {
    throw new CrdInstallError(
      `CustomResourceDefinition ${name}: the API server did not accept its names ` +
        `(${names.reason ?? "no reason"}: ${names.message ?? "no message"}); ` +
        "another CustomResourceDefinition probably claims the same plural, kind or short names",
      "CrdNamesNotAccepted",
    );
  }
  return conditions.some(c => c.type === "Established" && c.status === "True");
}

/**
 * One pass: server-side applies every CRD (forcing ownership of their fields, so an upgrade wins over
 * an older copy applied by hand or by Helm), then waits until all of them are Established.
 */
export async function applyCrds(
  api: CrdApi,
  crds: readonly CrdManifest[],
  opts: ApplyCrdsOptions = {},
): Promise<void> {
  const fieldManager = opts.fieldManager ?? CRD_FIELD_MANAGER;
  const sleep = opts.sleep ?? abortableSleep;
  const now = opts.now ?? Date.now;
  for (const crd of crds) {
    try {
      await api.apply(`${CRD_BASE}/${crd.metadata.name}`, crd, { fieldManager, force: true });
    } catch (err) {
      throw describeFailure(err, crd.metadata.name, api.server);
    }
  }
  const deadline = now() + (opts.establishTimeoutMs ?? 60_000);
  for (const crd of crds) {
    const name = crd.metadata.name;
    for (;;) {
      let live: LiveCrd | undefined;
      try {
        live = await api.getOptional<LiveCrd>(`${CRD_BASE}/${name}`);
      } catch (err) {
        throw describeFailure(err, name, api.server);
      }
      if (established(live, name)) break;
      if (now() >= deadline) {
        throw new CrdInstallError(
          `CustomResourceDefinition ${name} was applied but is not Established after ` +
            `${Math.round((opts.establishTimeoutMs ?? 60_000) / 1000)} s ` +
            `(conditions: ${JSON.stringify(live?.status?.conditions ?? [])})`,
          "CrdNotEstablished",
        );
      }
      await sleep(opts.pollIntervalMs ?? 250, opts.signal);
    }
  }
}

export interface InstallCrdsOptions extends ApplyCrdsOptions {
  /** Called for each pass, so a connection that cannot be built is a logged, retried failure. */
  api: () => CrdApi;
  crds: readonly CrdManifest[];
  logger: Logger;
  /** Backoff between failed passes: 1 s doubling to 60 s by default, with jitter. */
  baseDelayMs?: number;
  maxDelayMs?: number;
  random?: () => number;
}

/**
 * Applies the CRDs until they are all Established, retrying every failure with backoff and logging
 * each one at error level with what to do about it. Resolves once installed; rejects only when
 * `signal` aborts.
 */
export async function installCrdsUntilEstablished(opts: InstallCrdsOptions): Promise<void> {
  const names = opts.crds.map(c => c.metadata.name);
  const sleep = opts.sleep ?? abortableSleep;
  for (let attempt = 1; ; attempt++) {
    opts.signal?.throwIfAborted();
    try {
      await applyCrds(opts.api(), opts.crds, opts);
      opts.logger.info(
        { crds: names, attempt },
        "CustomResourceDefinitions installed and Established",
      );
      return;
    } catch (err) {
      if (opts.signal?.aborted) throw opts.signal.reason;
      const delayMs = backoffDelayMs(
        attempt,
        { baseDelayMs: opts.baseDelayMs ?? 1000, maxDelayMs: opts.maxDelayMs ?? 60_000 },
        opts.random ?? Math.random,
      );
      opts.logger.error(
        {
          crds: names,
          attempt,
          reason: err instanceof OperatorError ? err.reason : "CrdApplyFailed",
          retryInSeconds: Math.round(delayMs / 100) / 10,
          err: errorMessage(err),
        },
        "cannot install the CustomResourceDefinitions; InfrahubSync and VidraResource are not reconciled until they are Established (retrying)",
      );
      await sleep(delayMs, opts.signal);
    }
  }
}

export interface CrdInstall {
  /** Resolves when the CRDs are Established; never rejects (a stopped install just never resolves). */
  ready: Promise<void>;
  readonly done: boolean;
  stop(): void;
}

/** Starts `installCrdsUntilEstablished` in the background. */
export function startCrdInstall(opts: Omit<InstallCrdsOptions, "signal">): CrdInstall {
  const abort = new AbortController();
  let done = false;
  const ready = new Promise<void>(resolve => {
    installCrdsUntilEstablished({ ...opts, signal: abort.signal }).then(
      () => {
        done = true;
        resolve();
      },
      () => undefined, // only an abort ends the loop without success
    );
  });
  return {
    ready,
    get done() {
      return done;
    },
    stop: () => abort.abort(new Error("CRD install stopped")),
  };
}

/**
 * Wraps `fn` so calls made before `ready` resolves are held and replayed in order once it does;
 * later calls go straight through. Watch events for the operator's kinds wait this way until the CRDs
 * this version ships are Established (an upgrade may be changing their schema).
 */
export function holdUntil<A extends unknown[]>(
  ready: Promise<unknown>,
  fn: (...args: A) => void,
  onError: (err: unknown) => void = () => undefined,
): (...args: A) => void {
  let open = false;
  const held: A[] = [];
  void ready.then(() => {
    open = true;
    for (const args of held.splice(0)) {
      // One bad event must not drop the ones held behind it.
      try {
        fn(...args);
      } catch (err) {
        onError(err);
      }
    }
  });
  return (...args: A) => {
    if (open) fn(...args);
    else held.push(args);
  };
}
