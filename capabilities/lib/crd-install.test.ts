import {
  applyCrds,
  CRD_FIELD_MANAGER,
  CrdInstallError,
  holdUntil,
  installCrdsUntilEstablished,
  shouldInstallCrds,
  startCrdInstall,
  type CrdApi,
  type CrdManifest,
} from "./crd-install";
import type { ApplyOptions } from "./kube/client";
import { KubeApiError } from "./kube/errors";
import { recordingLogger } from "./logger";

const crd = (name: string): CrdManifest => ({
  apiVersion: "apiextensions.k8s.io/v1",
  kind: "CustomResourceDefinition",
  metadata: { name },
  spec: { group: "example.com" },
});

const CRDS = [crd("widgets.example.com"), crd("gadgets.example.com")];
const ESTABLISHED = {
  conditions: [
    { type: "NamesAccepted", status: "True" },
    { type: "Established", status: "True" },
  ],
};

/** An in-memory API: applies are recorded; a CRD becomes Established after `pollsUntilEstablished` GETs. */
class FakeApi implements CrdApi {
  readonly server = "https://127.0.0.1:6443";
  applied: Array<{ path: string; obj: unknown; opts: ApplyOptions }> = [];
  gets = 0;
  applyFailures: unknown[] = [];
  status: Record<string, unknown> | undefined = ESTABLISHED;
  pollsUntilEstablished = 0;

  async apply<T>(path: string, obj: unknown, opts: ApplyOptions): Promise<T> {
    const failure = this.applyFailures.shift();
    if (failure) throw failure;
    this.applied.push({ path, obj, opts });
    return obj as T;
  }

  async getOptional<T>(path: string): Promise<T | undefined> {
    this.gets++;
    if (!this.applied.some(a => a.path === path)) return undefined;
    if (this.pollsUntilEstablished > 0) {
      this.pollsUntilEstablished--;
      return { status: { conditions: [] } } as T;
    }
    return { status: this.status } as T;
  }
}

const noSleep = async (): Promise<void> => undefined;

const forbidden = () =>
  new KubeApiError("PATCH /apis/...: 403 customresourcedefinitions is forbidden", {
    status: 403,
    apiReason: "Forbidden",
  });

describe("shouldInstallCrds", () => {
  it("is true in the watcher and in dev mode only", () => {
    expect(shouldInstallCrds({ PEPR_WATCH_MODE: "true" })).toBe(true);
    expect(shouldInstallCrds({ PEPR_MODE: "dev" })).toBe(true);
    expect(shouldInstallCrds({ PEPR_WATCH_MODE: "false" })).toBe(false);
    expect(shouldInstallCrds({ PEPR_MODE: "build" })).toBe(false);
    expect(shouldInstallCrds({})).toBe(false);
  });
});

describe("applyCrds", () => {
  it("server-side applies every CRD with force under the vidra-pepr field manager", async () => {
    const api = new FakeApi();
    await applyCrds(api, CRDS, { sleep: noSleep });
    expect(api.applied.map(a => a.path)).toEqual([
      "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.example.com",
      "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/gadgets.example.com",
    ]);
    expect(api.applied.every(a => a.opts.fieldManager === CRD_FIELD_MANAGER && a.opts.force)).toBe(
      true,
    );
    expect(api.applied[0].obj).toBe(CRDS[0]);
  });

  it("waits until each CRD is Established", async () => {
    const api = new FakeApi();
    api.pollsUntilEstablished = 3;
    const sleeps: number[] = [];
    await applyCrds(api, CRDS, {
      pollIntervalMs: 7,
      sleep: async ms => {
        sleeps.push(ms);
      },
    });
    expect(sleeps).toEqual([7, 7, 7]);
    expect(api.gets).toBe(5);
  });

  it("fails a pass that does not become Established in time, naming the CRD", async () => {
    const api = new FakeApi();
    api.status = { conditions: [{ type: "Established", status: "False", reason: "Installing" }] };
    let t = 0;
    const err = await applyCrds(api, CRDS, {
      establishTimeoutMs: 1000,
      now: () => t,
      sleep: async ms => {
        t += ms;
      },
    }).catch(e => e);
    expect(err).toBeInstanceOf(CrdInstallError);
    expect(err.reason).toBe("CrdNotEstablished");
    expect(err.message).toContain(
      "widgets.example.com was applied but is not Established after 1 s",
    );
    expect(err.message).toContain("Installing");
  });

  it("reports names another CRD already claims", async () => {
    const api = new FakeApi();
    api.status = {
      conditions: [
        {
          type: "NamesAccepted",
          status: "False",
          reason: "MultipleNamesNotAllowed",
          message: '"widget" is already in use',
        },
      ],
    };
    const err = await applyCrds(api, CRDS, { sleep: noSleep }).catch(e => e);
    expect(err.reason).toBe("CrdNamesNotAccepted");
    expect(err.message).toContain('MultipleNamesNotAllowed: "widget" is already in use');
  });

  it("turns a 403 into a message that says which RBAC rule is missing", async () => {
    const api = new FakeApi();
    api.applyFailures.push(forbidden());
    const err = await applyCrds(api, CRDS, { sleep: noSleep }).catch(e => e);
    expect(err).toBeInstanceOf(CrdInstallError);
    expect(err.reason).toBe("CrdForbidden");
    expect(err.message).toMatch(
      /may not apply CustomResourceDefinition widgets\.example\.com on https:\/\/127\.0\.0\.1:6443: .*create, get, patch and update on customresourcedefinitions named widgets\.example\.com .*npm run gen:rbac/,
    );
  });

  it("says when the API server cannot be reached or rejects the CRD", async () => {
    const api = new FakeApi();
    api.applyFailures.push(
      new KubeApiError("PATCH x: https://127.0.0.1:6443 did not answer (ECONNREFUSED)", {
        status: 0,
      }),
    );
    const unreachable = await applyCrds(api, CRDS, { sleep: noSleep }).catch(e => e);
    expect(unreachable.reason).toBe("KubernetesUnreachable");
    expect(unreachable.message).toContain("cannot reach the API server");
    api.applyFailures.push(
      new KubeApiError("PATCH x: 422 spec.versions: Invalid value", {
        status: 422,
        apiReason: "Invalid",
      }),
    );
    const rejected = await applyCrds(api, CRDS, { sleep: noSleep }).catch(e => e);
    expect(rejected.reason).toBe("CrdRejected");
    expect(rejected.message).toContain(
      "rejected CustomResourceDefinition widgets.example.com: PATCH x: 422 spec.versions",
    );
  });
});

describe("installCrdsUntilEstablished", () => {
  it("logs each failed pass at error level with the reason and the delay, then succeeds", async () => {
    const api = new FakeApi();
    api.applyFailures.push(forbidden(), forbidden());
    const log = recordingLogger();
    const sleeps: number[] = [];
    await installCrdsUntilEstablished({
      api: () => api,
      crds: CRDS,
      logger: log,
      random: () => 1,
      baseDelayMs: 1000,
      maxDelayMs: 60_000,
      sleep: async ms => {
        sleeps.push(ms);
      },
    });
    expect(sleeps).toEqual([1000, 2000]);
    const errors = log.records.filter(r => r.level === "error");
    expect(errors).toHaveLength(2);
    expect(errors[0].msg).toContain("cannot install the CustomResourceDefinitions");
    expect(errors[0].fields).toMatchObject({
      attempt: 1,
      reason: "CrdForbidden",
      retryInSeconds: 1,
      crds: ["widgets.example.com", "gadgets.example.com"],
    });
    expect(String(errors[1].fields.err)).toContain(
      "customresourcedefinitions named widgets.example.com",
    );
    const info = log.records.filter(r => r.level === "info");
    expect(info).toEqual([
      expect.objectContaining({
        msg: "CustomResourceDefinitions installed and Established",
        fields: expect.objectContaining({ attempt: 3 }),
      }),
    ]);
  });

  it("treats a connection that cannot be built as a retried failure", async () => {
    const api = new FakeApi();
    let calls = 0;
    const log = recordingLogger();
    await installCrdsUntilEstablished({
      api: () => {
        if (++calls === 1) throw new Error("no kubeconfig found");
        return api;
      },
      crds: CRDS,
      logger: log,
      sleep: noSleep,
    });
    expect(log.records.filter(r => r.level === "error").map(r => r.fields.err)).toEqual([
      "no kubeconfig found",
    ]);
    expect(api.applied).toHaveLength(2);
  });

  it("stops when aborted while waiting to retry", async () => {
    const api = new FakeApi();
    api.applyFailures.push(forbidden());
    const abort = new AbortController();
    const run = installCrdsUntilEstablished({
      api: () => api,
      crds: CRDS,
      logger: recordingLogger(),
      signal: abort.signal,
      baseDelayMs: 3_600_000,
      maxDelayMs: 3_600_000,
    });
    setImmediate(() => abort.abort(new Error("shutting down")));
    await expect(run).rejects.toThrow("shutting down");
  });
});

describe("startCrdInstall and holdUntil", () => {
  it("holds calls until the CRDs are Established, then replays them in order", async () => {
    const api = new FakeApi();
    api.applyFailures.push(forbidden());
    let release!: () => void;
    const gate = new Promise<void>(r => (release = r));
    const install = startCrdInstall({
      api: () => api,
      crds: CRDS,
      logger: recordingLogger(),
      sleep: () => gate,
    });
    const seen: string[] = [];
    const onEvent = holdUntil(install.ready, (name: string, phase: string) =>
      seen.push(`${phase} ${name}`),
    );
    onEvent("a", "ADDED");
    onEvent("b", "ADDED");
    await new Promise(r => setImmediate(r));
    expect(install.done).toBe(false);
    expect(seen).toEqual([]);
    release();
    await install.ready;
    await new Promise(r => setImmediate(r));
    expect(install.done).toBe(true);
    expect(seen).toEqual(["ADDED a", "ADDED b"]);
    onEvent("a", "MODIFIED");
    expect(seen).toEqual(["ADDED a", "ADDED b", "MODIFIED a"]);
  });

  it("keeps replaying after a held call throws", async () => {
    let open!: () => void;
    const ready = new Promise<void>(r => (open = r));
    const errors: unknown[] = [];
    const seen: number[] = [];
    const fn = holdUntil(
      ready,
      (n: number) => {
        if (n === 1) throw new Error("bad event");
        seen.push(n);
      },
      e => errors.push(e),
    );
    fn(1);
    fn(2);
    open();
    await ready;
    await new Promise(r => setImmediate(r));
    expect(seen).toEqual([2]);
    expect(errors).toHaveLength(1);
  });

  it("makes no further pass once stopped", async () => {
    const api = new FakeApi();
    api.applyFailures.push(forbidden());
    let waiting!: () => void;
    const retryScheduled = new Promise<void>(r => (waiting = r));
    const install = startCrdInstall({
      api: () => api,
      crds: CRDS,
      logger: recordingLogger(),
      // A sleep that ends early on abort: a loop that ignored the abort would apply again and succeed.
      sleep: (_ms, signal) =>
        new Promise<void>(resolve => {
          signal?.addEventListener("abort", () => resolve());
          waiting();
        }),
    });
    await retryScheduled;
    install.stop();
    for (let i = 0; i < 5; i++) await new Promise(r => setImmediate(r));
    expect(api.applied).toEqual([]);
    expect(install.done).toBe(false);
  });
});
