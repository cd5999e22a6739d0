/**
 * Helpers for the deploy tests: the built manifests (dist/), the rules the committed preset should
 * produce, and acting as the module's ServiceAccount against a test cluster.
 */
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { dump, loadAll } from "js-yaml";
import { KubeClient } from "../../capabilities/lib/kube/client";
import type { ClusterConnection } from "../../capabilities/lib/kube/kubeconfig";
import { loadPreset } from "../../hack/rbac/applied-kinds-file";
import { rbacRules, type PolicyRule } from "../../hack/rbac/policy-rules";
import type { TestCluster } from "../support/cluster";

export const ROOT = resolve(__dirname, "..", "..");
export const PKG = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as {
  pepr: { uuid: string; rbac?: PolicyRule[]; rbacMode?: string };
};
export const UUID = PKG.pepr.uuid;
export const MODULE_YAML = join(ROOT, "dist", `pepr-module-${UUID}.yaml`);
export const MODULE_JS = join(ROOT, "dist", `pepr-${UUID}.js`);
export const CHART_DIR = join(ROOT, "dist", `${UUID}-chart`);
/** Pepr names the module's ServiceAccount, ClusterRole and binding pepr-<uuid>, in pepr-system. */
export const MODULE_NAME = `pepr-${UUID}`;
export const MODULE_NS = "pepr-system";
export const MODULE_USER = `system:serviceaccount:${MODULE_NS}:${MODULE_NAME}`;

/** The preset package.json is meant to be generated from (see docs/deploy.md). */
export const COMMITTED_PRESET = "webserver";

export type Doc = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; uid?: string; [k: string]: unknown };
  [k: string]: unknown;
};

/** The documents of dist/pepr-module-<uuid>.yaml; fails with what to run when it is missing or stale. */
export function builtDocs(): Doc[] {
  if (!existsSync(MODULE_YAML)) {
    throw new Error(`${MODULE_YAML} is missing: run \`npm run build\` first`);
  }
  return (loadAll(readFileSync(MODULE_YAML, "utf8")) as Array<Doc | null>).filter(
    (d): d is Doc => !!d,
  );
}

export function expectedRules(): PolicyRule[] {
  return rbacRules(UUID, loadPreset(COMMITTED_PRESET).kinds);
}

export function kubectl(kubeconfig: string, args: string[], input?: string): string {
  return execFileSync("kubectl", ["--kubeconfig", kubeconfig, ...args], {
    input,
    encoding: "utf8",
    stdio: ["pipe", "pipe", "pipe"],
    cwd: ROOT,
  });
}

/** kubectl that reports failure instead of throwing. */
export function kubectlResult(
  kubeconfig: string,
  args: string[],
): { code: number; stdout: string; stderr: string } {
  try {
    return { code: 0, stdout: kubectl(kubeconfig, args), stderr: "" };
  } catch (err) {
    const e = err as { status?: number; stdout?: string; stderr?: string };
    return { code: e.status ?? 1, stdout: e.stdout ?? "", stderr: e.stderr ?? "" };
  }
}

/** A short-lived token of a ServiceAccount (TokenRequest), as a pod would have mounted. */
export async function serviceAccountToken(
  kube: KubeClient,
  namespace: string,
  name: string,
): Promise<string> {
  const tr = await kube.create<{ status: { token: string } }>(
    `/api/v1/namespaces/${namespace}/serviceaccounts/${name}/token`,
    {
      apiVersion: "authentication.k8s.io/v1",
      kind: "TokenRequest",
      spec: { expirationSeconds: 3600 },
    },
  );
  return tr.status.token;
}

export function tokenConnection(cluster: TestCluster, token: string): ClusterConnection {
  return {
    server: cluster.connection.server,
    caPem: cluster.connection.caPem,
    token,
    origin: "test ServiceAccount token",
  };
}

/** Writes a kubeconfig that authenticates with `token` (what the watcher pod effectively has). */
export function writeTokenKubeconfig(cluster: TestCluster, token: string, file: string): string {
  const ca = Buffer.from(cluster.connection.caPem ?? "").toString("base64");
  writeFileSync(
    file,
    dump({
      apiVersion: "v1",
      kind: "Config",
      clusters: [
        {
          name: "test",
          cluster: { server: cluster.connection.server, "certificate-authority-data": ca },
        },
      ],
      users: [{ name: "sa", user: { token } }],
      contexts: [{ name: "sa", context: { cluster: "test", user: "sa" } }],
      "current-context": "sa",
    }),
    { mode: 0o600 },
  );
  return file;
}

export interface Access {
  verb: string;
  group?: string;
  resource: string;
  subresource?: string;
  name?: string;
  namespace?: string;
}

/** Asks the API server's authorizer (SubjectAccessReview) whether the module's ServiceAccount may. */
export async function mayModule(kube: KubeClient, a: Access): Promise<boolean> {
  const review = await kube.create<{ status: { allowed: boolean } }>(
    "/apis/authorization.k8s.io/v1/subjectaccessreviews",
    {
      apiVersion: "authorization.k8s.io/v1",
      kind: "SubjectAccessReview",
      spec: {
        user: MODULE_USER,
        groups: [
          "system:serviceaccounts",
          `system:serviceaccounts:${MODULE_NS}`,
          "system:authenticated",
        ],
        resourceAttributes: { ...a, group: a.group ?? "" },
      },
    },
  );
  return review.status.allowed;
}

export function describeAccess(a: Access): string {
  const res = a.subresource ? `${a.resource}/${a.subresource}` : a.resource;
  return `${a.verb} ${a.group ? `${a.group}/` : ""}${res}${a.name ? ` ${a.name}` : ""}${a.namespace ? ` in ${a.namespace}` : ""}`;
}

/** Pepr's store CRD, as its controller applies it before starting the module. */
export { PEPR_STORE_CRD } from "../../hack/module-runner";
