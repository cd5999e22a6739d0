/**
 * The chain end to end: the built module runs in dev mode against a real API server; the API
 * server checks the CRD's own rules, then calls the module's admission webhook over HTTPS (kubectl
 * sees the module's denial for what needs code), and a valid InfrahubSync reaches the reconciler,
 * which writes status.
 */
import { startOperatorEnv, type OperatorEnv } from "../support/operator-env";
import { eventually } from "../support/cluster";

let env: OperatorEnv;

beforeAll(async () => {
  env = await startOperatorEnv({
    sim: {
      seed: {
        users: [{ username: "admin", password: "infrahub" }],
        definitions: [
          { name: "Webserver_Artifact_Definition", artifactName: "Webserver_Manifest" },
        ],
        artifacts: [
          {
            definition: "Webserver_Artifact_Definition",
            target: { label: "web-01" },
            content:
              'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web-01\ndata:\n  port: "8080"\n',
          },
        ],
      },
    },
  });
}, 240_000);

afterAll(async () => {
  await env?.stop();
});

const sync = (name: string, source: Record<string, unknown>) =>
  JSON.stringify({
    apiVersion: "infrahub.operators.com/v1alpha1",
    kind: "InfrahubSync",
    metadata: { name },
    spec: { source: { targetBranch: "main", artefactName: "Webserver_Manifest", ...source } },
  });

test("kubectl apply of an invalid InfrahubSync is denied by the module, with its message", async () => {
  // A day that does not exist: the CRD's rules check the format only, the webhook the calendar.
  const bad = sync("bad", {
    infrahubAPIURL: "https://infrahub.example.com",
    targetDate: "2025-02-30T00:00:00Z",
  });
  // Webhook registration takes a moment to reach the API server's admission chain.
  const result = await eventually(
    async () => {
      const r = env.kubectlResult(["apply", "-f", "-"], bad);
      return r.code !== 0 && r.stderr.includes("denied the request") ? r : undefined;
    },
    { timeoutMs: 30_000, what: "the webhook to deny" },
  );
  expect(result.stderr).toContain(
    'admission webhook "pepr-vidra-pepr.pepr.dev" denied the request',
  );
  expect(result.stderr).toContain(
    'spec.source.targetDate "2025-02-30T00:00:00Z" is not valid (day 30 does not exist in 2025-02)',
  );
  expect(env.kubectlResult(["get", "infrahubsync", "bad"]).code).not.toBe(0);
});

test("what the CRD's rules refuse never reaches the webhook", () => {
  const r = env.kubectlResult(
    ["apply", "-f", "-"],
    sync("bad-url", { infrahubAPIURL: "ftp://infrahub.example.com", targetDate: "yesterday" }),
  );
  expect(r.code).not.toBe(0);
  expect(r.stderr).not.toContain("admission webhook");
  expect(r.stderr).toContain(
    'spec.source.infrahubAPIURL: Invalid value: must use http or https, not ftp: e.g. "https://infrahub.example.com"',
  );
  expect(r.stderr).toContain('spec.source.targetDate: Invalid value: "yesterday"');
});

test("a valid InfrahubSync reaches the reconciler, which writes status", async () => {
  env.kubectl([
    "create",
    "secret",
    "generic",
    "infrahub-creds",
    "-n",
    "default",
    "--from-literal=username=admin",
    "--from-literal=password=infrahub",
  ]);
  env.kubectl(
    ["apply", "-f", "-"],
    sync("good", {
      infrahubAPIURL: env.sim.url,
      credentialsSecretRef: { name: "infrahub-creds", namespace: "default" },
      discovery: "GraphQL",
    }),
  );
  const status = await eventually(
    async () => {
      const s = JSON.parse(env.kubectl(["get", "infrahubsync", "good", "-o", "json"])).status;
      return s?.syncState === "Succeeded" ? s : undefined;
    },
    { timeoutMs: 60_000, what: "status.syncState Succeeded" },
  );
  expect(status.artifactCount).toBe(1);
  expect(status.observedGeneration).toBe(1);
});
