/**
 * Push sync in the local demo: a webhook key Secret for the simulator's address, and the
 * simulator's webhooks (artifact created and updated, every branch) pointed at the operator's
 * receiver over HTTPS with the cluster's CA trusted, as docs/deploy.md has a user do with Infrahub.
 */
import { randomBytes } from "node:crypto";
import type { KubeClient } from "../../capabilities/lib/kube/client";
import { WEBHOOK_PATH_PREFIX } from "../../capabilities/lib/push/receiver";
import { WEBHOOK_KEY_LABEL } from "../../capabilities/lib/push/webhook-keys";
import type { InfrahubSimulator } from "../infrahub-sim";

export const WEBHOOK_SECRET = { name: "infrahub-sim", namespace: "pepr-system" };

export interface PushSetup {
  /** Where the simulator posts. */
  endpoint: string;
}

export async function setUpPush(opts: {
  kube: KubeClient;
  sim: InfrahubSimulator;
  receiverUrl: string;
  caPem: string;
}): Promise<PushSetup> {
  const sharedKey = randomBytes(24).toString("base64url");
  const { name, namespace } = WEBHOOK_SECRET;
  await opts.kube.apply(
    `/api/v1/namespaces/${namespace}/secrets/${name}`,
    {
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name, namespace, labels: { [WEBHOOK_KEY_LABEL]: "" } },
      type: "Opaque",
      stringData: { infrahubAPIURL: opts.sim.url, sharedKey },
    },
    { fieldManager: "vidra-pepr-demo", force: true },
  );
  const endpoint = `${opts.receiverUrl}${WEBHOOK_PATH_PREFIX}${name}`;
  for (const event of ["infrahub.artifact.created", "infrahub.artifact.updated"])
    opts.sim.configureWebhook({
      name: `vidra-pepr-${event.split(".").pop()}`,
      url: endpoint,
      sharedKey,
      eventType: event,
      branchScope: "all_branches",
      nodeKind: "CoreArtifact",
      validateCertificates: true,
      caPem: opts.caPem,
    });
  return { endpoint };
}
