/**
 * When Infrahub fails or refuses the credentials, status and Events say what actually happened and
 * what to do, and the operator does not make things worse: an outage keeps the last underlying
 * error in the message and its Events fold into one per sync; refused credentials are tried once
 * per Secret content, shared by every sync using them, not at every poll of every sync.
 */
import { startOperatorEnv, type OperatorEnv } from "../support/operator-env";
import { eventually } from "../support/cluster";
import { syncJson, webserverManifest } from "../support/fixtures";
import {
  condition,
  createInfrahubSecret,
  getJson,
  metric,
  requestSyncNow,
  waitForCondition,
  type Json,
  applyInfrahubSecret,
} from "../support/operator-client";

let env: OperatorEnv;

beforeAll(async () => {
  env = await startOperatorEnv({
    name: "trouble",
    sim: { seed: { users: [{ username: "admin", password: "infrahub" }] } },
  });
  createInfrahubSecret(env);
}, 240_000);

afterAll(async () => {
  await env?.stop();
});

function artifacts(artifactName: string, targets: string[]): void {
  env.sim.upsertDefinition({ name: `${artifactName}_Definition`, artifactName });
  for (const target of targets)
    env.sim.upsertArtifact("main", {
      definition: `${artifactName}_Definition`,
      target: { label: target },
      content: webserverManifest(target),
    });
}

function sync(name: string, artefactName: string, secret: string, pollInterval: string): void {
  env.kubectl(
    ["apply", "-f", "-"],
    syncJson(name, {
      source: {
        infrahubAPIURL: env.sim.url,
        artefactName,
        discovery: "GraphQL",
        credentialsSecretRef: { name: secret, namespace: "default" },
      },
      pollInterval,
    }),
  );
}

function events(name: string, reason: string): Json[] {
  return JSON.parse(
    env.kubectl([
      "get",
      "events",
      "-n",
      "default",
      "--field-selector",
      `involvedObject.name=${name},reason=${reason}`,
      "-o",
      "json",
    ]),
  ).items;
}

/** A status message as a person needs it: one line, no request line, no stack. */
function expectReadable(message: string): void {
  expect(message).not.toMatch(/\n/);
  expect(message).not.toMatch(/\b(GET|POST|PATCH|PUT|DELETE) \//);
  expect(message).not.toMatch(/\/graphql|\/api\//);
  expect(message).not.toMatch(/\bat \S+ \(.*:\d+:\d+\)/);
}

const logins = () => env.sim.requestCounts()["POST /api/auth/login"] ?? 0;

test("during an outage the status keeps what actually failed, and each sync's Events fold into one", async () => {
  artifacts("Outage_Manifest", ["o-01"]);
  sync("down-a", "Outage_Manifest", "infrahub", "5s");
  sync("down-b", "Outage_Manifest", "infrahub", "5s");
  await waitForCondition(env, "infrahubsync/down-a", "Ready", "True");
  await waitForCondition(env, "infrahubsync/down-b", "Ready", "True");

  env.sim.injectFault({ endpoint: "POST /graphql", kind: "status", status: 503 });
  for (const name of ["down-a", "down-b"]) {
    const s = await waitForCondition(env, `infrahubsync/${name}`, "Ready", "False", {
      reason: "CircuitOpen",
      timeoutMs: 90_000,
    });
    const message = condition(s, "Ready")!.message;
    expect(message).toMatch(
      new RegExp(
        `^Infrahub ${env.sim.url.replace(/[./]/g, "\\$&")} is failing; last error: Infrahub failed with a server error \\(HTTP 503[^)]*\\)\\. Check that Infrahub is running`,
      ),
    );
    expect(message).toMatch(/paused after \d+ consecutive failures, next try at \d{4}-/);
    expectReadable(message);
  }

  // The breaker lets a trial through every 30 s; each failed trial is another CircuitOpen per
  // sync. They count up on one Event per sync instead of making a new one each time.
  for (const name of ["down-a", "down-b"]) {
    const folded = await eventually(
      async () => {
        const list = events(name, "CircuitOpen");
        return list.length === 1 && list[0].count >= 2 ? list : undefined;
      },
      { timeoutMs: 150_000, what: `${name}'s CircuitOpen Event to count a second occurrence` },
    );
    expect(folded[0].message).toContain(
      "last error: Infrahub failed with a server error (HTTP 503",
    );
    expect(folded[0].message).not.toMatch(/next try|\d{4}-\d\d-\d\dT/);
  }

  // Another failure: the message follows what failed last.
  env.sim.clearFaults();
  env.sim.injectFault({ endpoint: "POST /graphql", kind: "reset" });
  await eventually(
    async () => {
      const c = condition(getJson(env, ["get", "infrahubsync", "down-a"]), "Ready");
      return c?.reason === "CircuitOpen" && /last error: Could not talk to Infrahub/.test(c.message)
        ? c
        : undefined;
    },
    { timeoutMs: 120_000, what: "the message to name the reset connection" },
  );

  env.sim.clearFaults();
  await waitForCondition(env, "infrahubsync/down-a", "Ready", "True", { timeoutMs: 90_000 });
  await waitForCondition(env, "infrahubsync/down-b", "Ready", "True", { timeoutMs: 90_000 });
  env.kubectl(["delete", "infrahubsync", "down-a", "down-b"]);
}, 480_000);

test("wrong credentials: one failed login shared by the syncs using them, none again until the Secret changes", async () => {
  artifacts("Login_Manifest", ["l-01"]);
  applyInfrahubSecret(env, "bad-login", "wrong-pw-7c1e");
  env.sim.resetCounts();
  const names = ["login-1", "login-2", "login-3"];
  for (const name of names) sync(name, "Login_Manifest", "bad-login", "2s");
  for (const name of names) {
    const s = await waitForCondition(env, `infrahubsync/${name}`, "Ready", "False", {
      reason: "AuthenticationFailed",
    });
    const message = condition(s, "Ready")!.message;
    expect(message).toMatch(
      /^Infrahub http:\/\/127\.0\.0\.1:\d+ refused the login \(HTTP 401, Infrahub said "[^"]+"\): fix the username and password in Secret default\/bad-login\. The operator does not try these credentials again until that Secret changes/,
    );
    expectReadable(message);
    expect(JSON.stringify(s.status)).not.toContain("wrong-pw-7c1e");
    expect(condition(s, "Stalled")?.status).toBe("True");
  }
  expect(logins()).toBe(1);

  // Many polls later (three syncs, a 2 s poll): still the one login, nothing else sent.
  const failed = () =>
    metric(env, "vidra_reconciles_total", { kind: "InfrahubSync", result: "failed" });
  const before = await failed();
  await eventually(async () => (await failed()) >= before + 12, {
    timeoutMs: 90_000,
    what: "four more failed polls per sync",
  });
  expect(logins()).toBe(1);
  expect(env.sim.requestCounts()["POST /graphql"] ?? 0).toBe(0);
  // One Event per sync, not one per poll.
  for (const name of names) {
    const list = events(name, "AuthenticationFailed");
    expect(list).toHaveLength(1);
    expect(list[0].count).toBe(1);
    expect(list[0].message).not.toContain("wrong-pw-7c1e");
  }

  // Another wrong password in the Secret: tried once, for all three.
  applyInfrahubSecret(env, "bad-login", "still-wrong-2d9a");
  await eventually(async () => logins() === 2, { what: "one login with the new Secret" });
  const later = await failed();
  await eventually(async () => (await failed()) >= later + 6, { timeoutMs: 60_000, what: "polls" });
  expect(logins()).toBe(2);

  // A person asks for a sync (say the account was fixed in Infrahub): one more try.
  requestSyncNow(env, "login-1");
  await eventually(async () => logins() === 3, { what: "the requested try" });
  await waitForCondition(env, "infrahubsync/login-1", "Ready", "False", {
    reason: "AuthenticationFailed",
  });

  // The right password: one login serves the three syncs.
  applyInfrahubSecret(env, "bad-login", "infrahub");
  for (const name of names)
    await waitForCondition(env, `infrahubsync/${name}`, "Ready", "True", { timeoutMs: 90_000 });
  expect(logins()).toBe(4);
  env.kubectl(["delete", "infrahubsync", ...names]);
}, 360_000);
