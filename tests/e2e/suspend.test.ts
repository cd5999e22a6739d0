/**
 * Suspend that holds: suspending an InfrahubSync suspends its VidraResources (no fetch, no apply,
 * no prune, no drift repair) until it is resumed; a person's suspend on one VidraResource is never
 * undone by the sync.
 */
import { startOperatorEnv, type OperatorEnv } from "../support/operator-env";
import { eventually } from "../support/cluster";
import { WEBSERVER_DEFINITION, syncJson } from "../support/fixtures";
import {
  condition,
  createInfrahubSecret,
  getJson,
  metric,
  syncNowAndWait,
  waitForCondition,
  type Json,
} from "../support/operator-client";

const settings = (ns: string, color: string): string => `---
apiVersion: v1
kind: Namespace
metadata: { name: ${ns} }
---
apiVersion: v1
kind: ConfigMap
metadata: { name: settings, namespace: ${ns} }
data: { color: ${color} }
`;

const SUSPENDED_BY = "infrahub.operators.com/suspended-by-sync";

let env: OperatorEnv;
const ids: Record<string, string> = {};

beforeAll(async () => {
  env = await startOperatorEnv({
    name: "suspend",
    sim: {
      seed: {
        users: [{ username: "admin", password: "infrahub" }],
        definitions: [WEBSERVER_DEFINITION],
        artifacts: ["s-01", "s-02"].map(label => ({
          definition: WEBSERVER_DEFINITION.name,
          target: { label },
          content: settings(label, "blue"),
        })),
      },
    },
  });
  for (const a of env.sim.listArtifacts("main")) ids[a.targetLabel!] = a.id;
  createInfrahubSecret(env);
  env.kubectl(
    ["apply", "-f", "-"],
    syncJson("susp", {
      source: {
        infrahubAPIURL: env.sim.url,
        credentialsSecretRef: { name: "infrahub", namespace: "default" },
      },
      pollInterval: "1h",
      // Drift is repaired at once while not suspended.
      destination: { reconcileOnEvents: true },
    }),
  );
  await waitForCondition(env, "infrahubsync/susp", "Ready", "True", { timeoutMs: 90_000 });
}, 240_000);

afterAll(async () => {
  await env?.stop();
});

const color = (ns: string): string | undefined => {
  const r = env.kubectlResult(["get", "configmap", "-n", ns, "settings", "-o", "json"]);
  return r.code === 0 ? JSON.parse(r.stdout).data.color : undefined;
};
const vr = (target: string): Json => getJson(env, ["get", "vidraresource", ids[target]]);
const patch = (what: string, spec: object) =>
  env.kubectl(["patch", ...what.split("/"), "--type=merge", "-p", JSON.stringify({ spec })]);
const annotateNow = (what: string) =>
  env.kubectl([
    "annotate",
    "--overwrite",
    ...what.split("/"),
    `infrahub.operators.com/sync-now=${Date.now()}`,
  ]);

/** Runs `poke` and waits until the operator has made one more suspended pass of `kind`. */
async function suspendedPass(kind: "InfrahubSync" | "VidraResource", poke: () => void) {
  const before = await metric(env, "vidra_reconciles_total", { kind, result: "suspended" });
  poke();
  await eventually(
    async () =>
      (await metric(env, "vidra_reconciles_total", { kind, result: "suspended" })) > before,
    { what: `a suspended ${kind} pass` },
  );
}

test("suspending the sync suspends its VidraResources: no fetch, no apply, no prune, no drift repair", async () => {
  await eventually(async () => color("s-01") === "blue" && color("s-02") === "blue", {
    what: "both ConfigMaps applied",
  });
  patch("infrahubsync/susp", { suspend: true });
  const sync = await waitForCondition(env, "infrahubsync/susp", "Ready", "False", {
    reason: "Suspended",
  });
  expect(condition(sync, "Ready")!.message).toBe(
    "spec.suspend is true; Infrahub is not polled and its 2 VidraResource(s) are suspended",
  );
  for (const t of ["s-01", "s-02"]) {
    const r = await waitForCondition(env, `vidraresource/${ids[t]}`, "Ready", "False", {
      reason: "Suspended",
    });
    expect(r.spec.suspend).toBe(true);
    expect(r.metadata.annotations[SUSPENDED_BY]).toBe("susp");
    expect(condition(r, "Ready")!.message).toBe(
      "suspended with its InfrahubSync susp; nothing is applied, pruned or repaired until the sync is resumed",
    );
  }

  // Infrahub changes: one artifact edited, the other gone. Nothing is fetched, nothing pruned.
  env.sim.setArtifactContent("main", ids["s-01"], settings("s-01", "red"));
  env.sim.deleteArtifact("main", ids["s-02"]);
  env.sim.resetCounts();
  await suspendedPass("InfrahubSync", () => annotateNow("infrahubsync/susp"));
  expect(env.sim.requestCounts()).toEqual({});
  expect(vr("s-01").spec.manifest).toContain("color: blue");
  expect(vr("s-02").metadata.deletionTimestamp).toBeUndefined();
  expect(color("s-02")).toBe("blue");

  // Drift stays: neither the drift watch nor an explicit request applies anything.
  env.kubectl(["delete", "configmap", "-n", "s-01", "settings"]);
  await suspendedPass("VidraResource", () => annotateNow(`vidraresource/${ids["s-01"]}`));
  expect(color("s-01")).toBeUndefined();
});

test("resuming the sync resumes its VidraResources: what changed meanwhile is fetched, applied and pruned", async () => {
  patch("infrahubsync/susp", { suspend: false });
  await eventually(async () => color("s-01") === "red", {
    what: "s-01 re-created with Infrahub's new content",
    timeoutMs: 60_000,
  });
  const r = await waitForCondition(env, `vidraresource/${ids["s-01"]}`, "Ready", "True");
  expect(r.spec.suspend).toBe(false);
  expect(r.metadata.annotations?.[SUSPENDED_BY]).toBeUndefined();
  await eventually(
    async () =>
      env.kubectlResult(["get", "vidraresource", ids["s-02"]]).code !== 0 &&
      color("s-02") === undefined,
    { what: "s-02 pruned", timeoutMs: 60_000 },
  );
  await waitForCondition(env, "infrahubsync/susp", "Ready", "True");
});

test("a person's suspend on a sync-owned VidraResource is not reverted by the sync", async () => {
  patch(`vidraresource/${ids["s-01"]}`, { suspend: true });
  await waitForCondition(env, `vidraresource/${ids["s-01"]}`, "Ready", "False", {
    reason: "Suspended",
  });

  // A new artifact version is stored in the VidraResource, but not applied; the suspend stays.
  env.sim.setArtifactContent("main", ids["s-01"], settings("s-01", "green"));
  await syncNowAndWait(env, "susp");
  const held = await eventually(
    async () => {
      const r = vr("s-01");
      return r.spec.manifest.includes("green") &&
        r.status.observedGeneration === r.metadata.generation
        ? r
        : undefined;
    },
    { what: "the new manifest stored and seen" },
  );
  expect(held.spec.suspend).toBe(true);
  expect(condition(held, "Ready")!.reason).toBe("Suspended");
  expect(color("s-01")).toBe("red");
  const sync = await waitForCondition(env, "infrahubsync/susp", "Ready", "False", {
    reason: "VidraResourceSuspended",
  });
  expect(condition(sync, "Ready")!.message).toBe(
    `1 of 1 VidraResource(s) suspended (${ids["s-01"]}); set spec.suspend: false on them to resume`,
  );

  // Suspending and resuming the sync leaves the person's suspend in place.
  patch("infrahubsync/susp", { suspend: true });
  await waitForCondition(env, "infrahubsync/susp", "Ready", "False", { reason: "Suspended" });
  expect(vr("s-01").metadata.annotations?.[SUSPENDED_BY]).toBeUndefined();
  patch("infrahubsync/susp", { suspend: false });
  await waitForCondition(env, "infrahubsync/susp", "Ready", "False", {
    reason: "VidraResourceSuspended",
  });
  expect(vr("s-01").spec.suspend).toBe(true);
  expect(color("s-01")).toBe("red");

  // Lifted by the person: applied at once.
  patch(`vidraresource/${ids["s-01"]}`, { suspend: false });
  await eventually(async () => color("s-01") === "green", { what: "green applied" });
  await waitForCondition(env, "infrahubsync/susp", "Ready", "True");
});
