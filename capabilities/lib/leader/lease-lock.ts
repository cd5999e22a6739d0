import type { KubeClient } from "../kube/client";
import { resourcePath } from "../kube/client";
import { KubeApiError } from "../kube/errors";

/** The fields of a coordination.k8s.io/v1 Lease's spec that leader election uses. */
export interface LeaderRecord {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions?: number;
}

/** A record as read, with the resourceVersion every update is conditional on. */
export interface ObservedRecord {
  record: LeaderRecord;
  resourceVersion: string;
}

/** Where the election keeps its record; a fake in unit tests, a Lease in a cluster. */
export interface LeaderLock {
  /** Undefined when no record exists yet. */
  get(): Promise<ObservedRecord | undefined>;
  /** Resolves undefined when someone else created it first. */
  create(record: LeaderRecord): Promise<ObservedRecord | undefined>;
  /** Resolves undefined when the record changed since `resourceVersion` was read. */
  update(record: LeaderRecord, resourceVersion: string): Promise<ObservedRecord | undefined>;
  /** For messages: namespace/name. */
  describe(): string;
}

interface LeaseObject {
  metadata?: { resourceVersion?: string };
  spec?: LeaderRecord;
}

/**
 * A Lease as the lock, as client-go's resourcelock.LeaseLock: every write is conditional (create
 * fails when it exists, update carries the resourceVersion read), so two candidates can never both
 * believe they acquired it. Requests are made once, without the client's own retries: the elector
 * retries on its own schedule and must know at once when a renewal did not go through.
 */
export class LeaseLock implements LeaderLock {
  private readonly path: string;
  private readonly collection: string;

  constructor(
    private readonly kube: KubeClient,
    private readonly namespace: string,
    private readonly name: string,
    private readonly timeoutMs: number,
  ) {
    const loc = { group: "coordination.k8s.io", version: "v1", plural: "leases", namespace };
    this.collection = resourcePath(loc);
    this.path = resourcePath({ ...loc, name });
  }

  describe(): string {
    return `${this.namespace}/${this.name}`;
  }

  async get(): Promise<ObservedRecord | undefined> {
    try {
      const lease = await this.kube.request<LeaseObject>({
        method: "GET",
        path: this.path,
        noRetry: true,
        timeoutMs: this.timeoutMs,
      });
      return observed(lease);
    } catch (err) {
      if (err instanceof KubeApiError && err.notFound) return undefined;
      throw err;
    }
  }

  async create(record: LeaderRecord): Promise<ObservedRecord | undefined> {
    try {
      const lease = await this.kube.request<LeaseObject>({
        method: "POST",
        path: this.collection,
        noRetry: true,
        timeoutMs: this.timeoutMs,
        body: {
          apiVersion: "coordination.k8s.io/v1",
          kind: "Lease",
          metadata: { name: this.name, namespace: this.namespace },
          spec: record,
        },
      });
      return observed(lease);
    } catch (err) {
      if (err instanceof KubeApiError && err.status === 409) return undefined;
      throw err;
    }
  }

  async update(record: LeaderRecord, resourceVersion: string): Promise<ObservedRecord | undefined> {
    try {
      const lease = await this.kube.request<LeaseObject>({
        method: "PUT",
        path: this.path,
        noRetry: true,
        timeoutMs: this.timeoutMs,
        body: {
          apiVersion: "coordination.k8s.io/v1",
          kind: "Lease",
          metadata: { name: this.name, namespace: this.namespace, resourceVersion },
          spec: record,
        },
      });
      return observed(lease);
    } catch (err) {
      if (err instanceof KubeApiError && (err.status === 409 || err.notFound)) return undefined;
      throw err;
    }
  }
}

function observed(lease: LeaseObject): ObservedRecord {
  return { record: lease.spec ?? {}, resourceVersion: lease.metadata?.resourceVersion ?? "" };
}
