import { a, Capability, kind, Log, metricsCollector, type PeprValidateRequest } from "pepr";
import { infrahubSyncProblems } from "../lib/admission/infrahubsync-admission";
import { vidraResourceProblems } from "../lib/admission/vidraresource-admission";
import { InfrahubSync } from "../lib/generated/infrahubsync-v1alpha1";
import { VidraResource } from "../lib/generated/vidraresource-v1alpha1";
import { CONFIG_MAP_LABEL } from "../lib/sync/operator-config";
import { watchEveryPhase } from "./one-watch-per-kind";
import { operator } from "./runtime";

/**
 * Wiring only: admission rules (pure functions, no network) and watch events handed to the
 * operator's work queues. Everything else lives in ../lib.
 */
export const InfrahubSyncCapability = new Capability({
  name: "infrahub-sync",
  description:
    "Syncs Infrahub artifacts into Kubernetes (Vidra-compatible InfrahubSync and VidraResource).",
});

const { When } = InfrahubSyncCapability;

function verdict<T extends kind.GenericKind>(req: PeprValidateRequest<T>, problems: string[]) {
  return problems.length ? req.Deny(problems.join("; "), 422) : req.Approve();
}

When(InfrahubSync)
  .IsCreatedOrUpdated()
  .Validate(req =>
    verdict(
      req,
      infrahubSyncProblems(
        req.Raw,
        req.Request.operation === "UPDATE" ? req.OldResource : undefined,
      ),
    ),
  );

When(VidraResource)
  .IsCreatedOrUpdated()
  .Validate(req =>
    verdict(
      req,
      vidraResourceProblems(
        req.Raw,
        req.Request.operation === "UPDATE" ? req.OldResource : undefined,
      ),
    ),
  );

// InfrahubSyncs and VidraResources are watched by the operator itself (runtime.ts): a Pepr Watch
// binding would keep every one of them in full for the life of the process. The operator's
// ConfigMaps (a handful) keep a Pepr watch, one for every phase (see one-watch-per-kind.ts).
watchEveryPhase(InfrahubSyncCapability, () =>
  When(a.ConfigMap)
    .IsCreatedOrUpdated()
    .WithLabel(CONFIG_MAP_LABEL.key, CONFIG_MAP_LABEL.value)
    .Watch((cm, phase) => operator().onConfigMap(cm, phase)),
);

// Pepr serves its own registry on /metrics; the operator's metrics are appended to it.
const peprMetrics = metricsCollector.getMetrics.bind(metricsCollector);
metricsCollector.getMetrics = async () => `${await peprMetrics()}\n${await operator.metricsText()}`;

export { Log };
