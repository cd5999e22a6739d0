import {
  DelegateBackoff,
  handleWhen,
  retry,
  type IRetryBackoffContext,
  type RetryPolicy,
} from "cockatiel";
import { backoffDelayMs, parseRetryAfter } from "../backoff";
import { errorMessage, OperatorError } from "../errors";
import { KubeApiError, type StatusCause } from "./errors";
import { ClusterAccess, type ClusterConnection, type Impersonation } from "./kubeconfig";
import { ClusterTransport } from "./transport";
import { isSecretPath, scrubValues } from "./scrub";

export interface ResourceLocation {
  group: string;
  version: string;
  plural: string;
  namespace?: string;
  name?: string;
  subresource?: string;
}

/** `/api/v1/namespaces/x/pods/y/status` and friends. */
export function resourcePath(loc: ResourceLocation): string {
  const base = loc.group ? `/apis/${loc.group}/${loc.version}` : `/api/${loc.version}`;
  const ns = loc.namespace ? `/namespaces/${encodeURIComponent(loc.namespace)}` : "";
  const name = loc.name ? `/${encodeURIComponent(loc.name)}` : "";
  const sub = loc.name && loc.subresource ? `/${loc.subresource}` : "";
  return `${base}${ns}/${loc.plural}${name}${sub}`;
}

export interface KubeRequest {
  method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  path: string;
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  contentType?: string;
  timeoutMs?: number;
  /** Give up after the first failure (callers that do their own retrying). */
  noRetry?: boolean;
}

export interface RequestInfo {
  method: string;
  path: string;
  status: number;
  durationMs: number;
  dryRun: boolean;
  /** host:port of the API server (the rest_client_* metrics' `host`). */
  host: string;
}

export interface KubeClientOptions {
  timeoutMs?: number;
  /** Attempts per request for transient failures (429, 5xx, no answer). Default 4. */
  maxAttempts?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  onRequest?: (info: RequestInfo) => void;
  random?: () => number;
  /** Sent as User-Agent on every request, so the API server's audit log tells replicas apart. */
  userAgent?: string;
  /**
   * Asked before every attempt of every request that is not a GET (retries and the re-send after
   * a 401 included), in the same tick the request is handed to the socket, after credentials are
   * obtained; throwing refuses the write (leader election's "still leader" fence).
   */
  writeFence?: () => void;
  /** Requests are made as this identity (Impersonate-* headers), replacing the kubeconfig's `as`. */
  impersonate?: Impersonation;
  /** Connections to the API server at once (default 64; each open watch holds one). */
  maxSockets?: number;
}

export interface ApplyOptions {
  fieldManager: string;
  force?: boolean;
  dryRun?: boolean;
}

export interface ObjectMeta {
  name?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  finalizers?: string[];
  deletionTimestamp?: string;
  creationTimestamp?: string;
  ownerReferences?: Array<Record<string, unknown>>;
  managedFields?: Array<{
    manager?: string;
    operation?: string;
    apiVersion?: string;
    fieldsV1?: unknown;
    subresource?: string;
  }>;
  [key: string]: unknown;
}

export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata?: ObjectMeta;
  [key: string]: unknown;
}

export interface KubeList<T = KubeObject> {
  metadata?: { resourceVersion?: string; continue?: string };
  items: T[];
}

function hasPrecondition(body: unknown): boolean {
  return !!(body as { metadata?: { resourceVersion?: string } } | undefined)?.metadata
    ?.resourceVersion;
}

function isTransientForRetry(err: Error): boolean {
  if (!(err instanceof KubeApiError)) return false;
  return err.retryable || (err.status === 409 && err.statusWrite);
}

/**
 * 500 answers that are really the object's fault: a server-side apply body that does not fit the
 * schema, or one that cannot be decoded (a Secret's data that is not base64, a string where a
 * number goes). Sending the same object again cannot help.
 */
const INVALID_INPUT_500 =
  /failed to create typed patch object|failed to create manager for existing fields|failed to convert new object|unable to convert unstructured object|error decoding from json|cannot be handled as a/;

function queryString(q: KubeRequest["query"]): string {
  if (!q) return "";
  const parts = Object.entries(q)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`);
  return parts.length ? `?${parts.join("&")}` : "";
}

function parseStatus(body: Buffer): { message?: string; reason?: string; causes?: StatusCause[] } {
  try {
    const s = JSON.parse(body.toString("utf8")) as {
      message?: string;
      reason?: string;
      details?: { causes?: StatusCause[] };
    };
    return { message: s.message, reason: s.reason, causes: s.details?.causes };
  } catch {
    return { message: body.toString("utf8").slice(0, 300) || undefined };
  }
}

/** The API server's message and causes without the values they quote (see scrub.ts). */
function scrubStatus(
  s: ReturnType<typeof parseStatus>,
  secret: boolean,
): ReturnType<typeof parseStatus> {
  return {
    reason: s.reason,
    message: s.message === undefined ? undefined : scrubValues(s.message, { secret }),
    causes: s.causes?.map(c => ({
      ...c,
      message: c.message === undefined ? undefined : scrubValues(c.message, { secret }),
    })),
  };
}

/**
 * A small Kubernetes REST client with what KFC lacks for an operator: any field manager, dry-run,
 * keep-alive connections, several clusters at once, typed errors and bounded retries with backoff
 * (honouring Retry-After) for transient failures. Why not client-node's KubernetesObjectApi: its
 * requests get a new agent each (KubeConfig.applySecurityAuthentication → createAgent, no
 * keep-alive), so 16 applies in flight pay a TLS handshake each; authentication is client-node's
 * all the same (transport.ts).
 */
export class KubeClient {
  readonly transport: ClusterTransport;
  private readonly policy: RetryPolicy;
  private readonly opts: Required<
    Omit<KubeClientOptions, "onRequest" | "userAgent" | "writeFence" | "impersonate" | "maxSockets">
  > &
    Pick<KubeClientOptions, "onRequest" | "writeFence">;
  readonly access: ClusterAccess;
  private hostLabel: string | undefined;

  /** `source`: a kubeconfig's context (kubeconfig.ts), or literal connection details. */
  constructor(source: ClusterAccess | ClusterConnection, opts: KubeClientOptions = {}) {
    this.access = source instanceof ClusterAccess ? source : ClusterAccess.fromConnection(source);
    this.transport = new ClusterTransport(this.access, {
      impersonate: opts.impersonate,
      userAgent: opts.userAgent,
      maxSockets: opts.maxSockets,
    });
    this.opts = {
      timeoutMs: opts.timeoutMs ?? 30_000,
      maxAttempts: opts.maxAttempts ?? 4,
      baseDelayMs: opts.baseDelayMs ?? 200,
      maxDelayMs: opts.maxDelayMs ?? 5_000,
      random: opts.random ?? Math.random,
      onRequest: opts.onRequest,
      writeFence: opts.writeFence,
    };
    // Transient answers (no answer, 429, 5xx, a 409 on a status write) are retried with backoff,
    // honouring Retry-After; everything else is the caller's to handle.
    this.policy = retry(handleWhen(isTransientForRetry), {
      maxAttempts: Math.max(0, this.opts.maxAttempts - 1),
      backoff: new DelegateBackoff((ctx: IRetryBackoffContext<unknown>) => {
        const err = "error" in ctx.result ? ctx.result.error : undefined;
        const hinted = err instanceof KubeApiError ? err.retryAfterMs : undefined;
        return Math.min(
          hinted ?? backoffDelayMs(ctx.attempt, this.opts, this.opts.random),
          this.opts.maxDelayMs * 4,
        );
      }),
    });
  }

  get server(): string {
    return this.transport.server;
  }

  /** host:port of the API server (the rest_client_* metrics' `host`), parsed once. */
  private get host(): string {
    return (this.hostLabel ??= new URL(this.server).host);
  }

  async request<T>(req: KubeRequest): Promise<T> {
    if (req.noRetry) return this.once<T>(req);
    return this.policy.execute(() => this.once<T>(req));
  }

  private async once<T>(req: KubeRequest): Promise<T> {
    const body =
      req.body === undefined
        ? undefined
        : typeof req.body === "string"
          ? req.body
          : JSON.stringify(req.body);
    const headers: Record<string, string> = {};
    if (body !== undefined) headers["Content-Type"] = req.contentType ?? "application/json";
    // A refused write is not retried by the policy (a NotLeaderError is not transient), and not
    // counted as a request.
    const fence = req.method === "GET" ? undefined : this.opts.writeFence;
    let refused = false;
    const beforeSend =
      fence &&
      (() => {
        try {
          fence();
        } catch (err) {
          refused = true;
          throw err;
        }
      });
    const started = Date.now();
    const target = `${req.path}${queryString(req.query)}`;
    let status = 0;
    try {
      const res = await this.transport.send(
        req.method,
        target,
        body,
        headers,
        req.timeoutMs ?? this.opts.timeoutMs,
        beforeSend,
      );
      status = res.status;
      if (res.status >= 200 && res.status < 300) {
        return (res.body.length ? JSON.parse(res.body.toString("utf8")) : undefined) as T;
      }
      const s = scrubStatus(parseStatus(res.body), isSecretPath(req.path));
      const invalidInput = res.status === 500 && INVALID_INPUT_500.test(s.message ?? "");
      // The server's words first; the request line goes to logs only (KubeApiError.request).
      throw new KubeApiError(
        `${s.message || `HTTP ${res.status}`} (API server ${this.server}, HTTP ${res.status})`,
        {
          status: res.status,
          apiReason: s.reason ?? (invalidInput ? "Invalid" : undefined),
          causes: s.causes,
          retryAfterMs:
            res.status === 429 || res.status === 503
              ? parseRetryAfter(res.headers["retry-after"], Date.now())
              : undefined,
          retryable: invalidInput ? false : undefined,
          // A write with a resourceVersion precondition conflicts for good: not retried here.
          statusWrite:
            req.method !== "GET" && req.path.endsWith("/status") && !hasPrecondition(req.body),
          request: `${req.method} ${req.path}`,
          serverMessage: s.message,
        },
      );
    } catch (err) {
      // The fence's own error; KubeApiError, or KubeAuthError (no credentials): already typed.
      if (refused || err instanceof OperatorError) throw err;
      throw new KubeApiError(
        `the API server ${this.server} did not answer (${errorMessage(err)})`,
        { status: 0, cause: err, request: `${req.method} ${req.path}` },
      );
    } finally {
      if (!refused)
        this.opts.onRequest?.({
          method: req.method,
          path: req.path,
          status,
          durationMs: Date.now() - started,
          dryRun: req.query?.dryRun === "All",
          host: this.host,
        });
    }
  }

  get<T = KubeObject>(path: string): Promise<T> {
    return this.request<T>({ method: "GET", path });
  }

  /** GET that answers undefined for 404. */
  async getOptional<T = KubeObject>(path: string): Promise<T | undefined> {
    try {
      return await this.get<T>(path);
    } catch (err) {
      if (err instanceof KubeApiError && err.notFound) return undefined;
      throw err;
    }
  }

  /** Lists every page (limit/continue). */
  async list<T = KubeObject>(
    path: string,
    query: { labelSelector?: string; fieldSelector?: string } = {},
  ): Promise<KubeList<T>> {
    const items: T[] = [];
    let cont: string | undefined;
    let resourceVersion: string | undefined;
    do {
      const page = await this.request<KubeList<T>>({
        method: "GET",
        path,
        query: { ...query, limit: 500, continue: cont },
      });
      items.push(...(page.items ?? []));
      cont = page.metadata?.continue || undefined;
      resourceVersion = page.metadata?.resourceVersion;
    } while (cont);
    return { metadata: { resourceVersion }, items };
  }

  create<T = KubeObject>(path: string, obj: unknown): Promise<T> {
    return this.request<T>({ method: "POST", path, body: obj });
  }

  /** Server-side apply of `obj` at its own path. */
  apply<T = KubeObject>(path: string, obj: unknown, opts: ApplyOptions): Promise<T> {
    return this.request<T>({
      method: "PATCH",
      path,
      body: obj,
      contentType: "application/apply-patch+yaml",
      query: {
        fieldManager: opts.fieldManager,
        force: opts.force ? true : undefined,
        dryRun: opts.dryRun ? "All" : undefined,
      },
    });
  }

  mergePatch<T = KubeObject>(
    path: string,
    patch: unknown,
    query?: KubeRequest["query"],
  ): Promise<T> {
    return this.request<T>({
      method: "PATCH",
      path,
      body: patch,
      contentType: "application/merge-patch+json",
      query,
    });
  }

  /** DELETE; resolves false when the object was already gone. */
  async delete(
    path: string,
    opts: {
      propagationPolicy?: "Background" | "Foreground" | "Orphan";
      /** Preconditions: delete only this incarnation, only at this version (409 otherwise). */
      uid?: string;
      resourceVersion?: string;
    } = {},
  ): Promise<boolean> {
    try {
      await this.request({
        method: "DELETE",
        path,
        body: {
          kind: "DeleteOptions",
          apiVersion: "v1",
          propagationPolicy: opts.propagationPolicy,
          ...(opts.uid || opts.resourceVersion
            ? { preconditions: { uid: opts.uid, resourceVersion: opts.resourceVersion } }
            : {}),
        },
      });
      return true;
    } catch (err) {
      if (err instanceof KubeApiError && err.notFound) return false;
      throw err;
    }
  }

  close(): void {
    this.transport.close();
  }
}
