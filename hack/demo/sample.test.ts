import { readFileSync } from "node:fs";
import { load, loadAll } from "js-yaml";
import {
  SAMPLE_FILE,
  credentialsSecret,
  sampleInstructions,
  sampleSync,
  type SampleTarget,
} from "./sample";

const target = (over: Partial<SampleTarget> = {}): SampleTarget => ({
  url: "https://infrahub.example.com",
  branch: "feature-x",
  artifact: "Webserver_Manifest",
  authKind: "password",
  pollInterval: "5s",
  ...over,
});

test("the sample file keeps Vidra's documented sample shape", () => {
  const raw = load(readFileSync(SAMPLE_FILE, "utf8")) as {
    metadata: { name: string };
    spec: { source: object; destination: object };
  };
  expect(raw.metadata.name).toBe("sync-test-webserver");
  expect(raw.spec.source).toMatchObject({
    targetBranch: "main",
    artefactName: "Webserver_Manifest",
  });
  expect(raw.spec.destination).toEqual({ namespace: "default", reconcileOnEvents: true });
  // One addition shows health: Ready once the Deployments have rolled out.
  expect(raw.spec).toMatchObject({ wait: true });
});

test("sampleSync points the sample at the given Infrahub, branch, artifact and poll interval", () => {
  const sync = sampleSync(target({ pollInterval: "10s" }));
  expect(sync).toMatchObject({
    apiVersion: "infrahub.operators.com/v1alpha1",
    kind: "InfrahubSync",
    spec: {
      source: {
        infrahubAPIURL: "https://infrahub.example.com",
        targetBranch: "feature-x",
        artefactName: "Webserver_Manifest",
        credentialsSecretRef: { name: "infrahub-credentials", namespace: "default" },
      },
      pollInterval: "10s",
    },
  });
});

test("an anonymous sample references no Secret", () => {
  expect(sampleSync(target({ authKind: "anonymous" })).spec.source).not.toHaveProperty(
    "credentialsSecretRef",
  );
  expect(credentialsSecret("http://h:8000", { kind: "anonymous" })).toBeUndefined();
});

test("the credentials Secret carries the values and Vidra's infrahub-api-url label", () => {
  expect(
    credentialsSecret("http://127.0.0.1:8000", {
      kind: "password",
      username: "admin",
      password: "infrahub",
    }),
  ).toMatchObject({
    metadata: {
      name: "infrahub-credentials",
      namespace: "default",
      labels: { "infrahub-api-url": "127.0.0.1" },
    },
    stringData: { username: "admin", password: "infrahub" },
  });
  expect(credentialsSecret("https://[::1]:8000", { kind: "token", token: "t-1" })).toMatchObject({
    metadata: { labels: {} },
    stringData: { token: "t-1" },
  });
});

test("the printed instructions read the credentials from the environment, never contain them, and hold valid YAML", () => {
  const sync = sampleSync(target());
  const text = sampleInstructions(target(), sync, "/home/me/.kube/my config");
  expect(text).toContain(
    `kubectl --kubeconfig '/home/me/.kube/my config' create secret generic infrahub-credentials -n default`,
  );
  expect(text).toContain(
    `--from-literal=username="$INFRAHUB_USERNAME" --from-literal=password="$INFRAHUB_PASSWORD"`,
  );
  expect(text).toContain(
    "label secret infrahub-credentials -n default infrahub-api-url=infrahub.example.com",
  );
  const yaml = text.slice(text.indexOf("<<'EOF'\n") + 8, text.lastIndexOf("\nEOF"));
  expect(loadAll(yaml)).toEqual([sync]);
  expect(sampleInstructions(target({ authKind: "token" }), sync, "/k")).toContain(
    `--from-literal=token="$INFRAHUB_TOKEN"`,
  );
  expect(sampleInstructions(target({ authKind: "anonymous" }), sync, "/k")).not.toContain("secret");
});
