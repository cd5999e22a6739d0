import { startInfrahubSimulator } from "../../hack/infrahub-sim";
import type { InfrahubSimulator } from "../../hack/infrahub-sim/types";
import { startCrdCluster, type KubectlCluster } from "./cluster";
import { syncJson } from "./fixtures";
import { createInfrahubSecret } from "./operator-client";

/**
 * What tests that run the Operator in their own process (and hand it watch events directly) stand
 * on: a real API server with the CRDs, the `infrahub` credentials Secret, and a simulator that
 * accepts it.
 */
export interface InProcessEnv extends KubectlCluster {
  sim: InfrahubSimulator;
  /** GraphQL requests the simulator has answered so far. */
  graphqlQueries(): number;
  /** An artifact `artefactName` for target `label` = `syncName` on main, and a sync reading it. */
  addSync(
    syncName: string,
    artefactName: string,
    content: string,
    spec?: Record<string, unknown>,
  ): void;
  stop(): Promise<void>;
}

export async function startInProcessEnv(name: string): Promise<InProcessEnv> {
  const { cluster, kubectl } = await startCrdCluster(name);
  let sim: InfrahubSimulator;
  try {
    createInfrahubSecret({ kubectl });
    sim = await startInfrahubSimulator({
      seed: { users: [{ username: "admin", password: "infrahub" }] },
    });
  } catch (err) {
    await cluster.stop();
    throw err;
  }
  return {
    cluster,
    kubectl,
    sim,
    graphqlQueries: () => sim.requestLog.filter(r => r.path.startsWith("/graphql")).length,
    addSync(syncName, artefactName, content, spec = {}) {
      const definition = `${artefactName}_Definition`;
      sim.upsertDefinition({ name: definition, artifactName: artefactName });
      sim.upsertArtifact("main", { definition, target: { label: syncName }, content });
      kubectl(
        ["apply", "-f", "-"],
        syncJson(syncName, {
          source: {
            infrahubAPIURL: sim.url,
            artefactName,
            discovery: "GraphQL",
            credentialsSecretRef: { name: "infrahub", namespace: "default" },
          },
          ...spec,
        }),
      );
    },
    async stop() {
      await sim.stop();
      await cluster.stop();
    },
  };
}
