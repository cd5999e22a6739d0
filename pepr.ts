// First: sets Pepr's watch retry defaults in the environment before Pepr reads them.
import "./capabilities/infrahub-sync/watch-retry";
import { PeprModule } from "pepr";
import cfg from "./package.json";
import { InfrahubSyncCapability } from "./capabilities/infrahub-sync";

// The port is configurable so tests can run several modules side by side; 3000 is what Pepr's
// generated Services and webhooks expect in a cluster.
const port = Number(process.env.VIDRA_PEPR_PORT ?? 3000);

const module = new PeprModule(cfg, [InfrahubSyncCapability], { deferStart: true });
// In build mode the constructor only reports the bindings to `pepr build`; there is no server to start.
if (process.env.PEPR_MODE !== "build") module.start(port);
