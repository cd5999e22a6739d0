/**
 * `npm start`: the one-command demo. Everything runs on embedded defaults (a local control plane,
 * the Infrahub simulator seeded with Vidra's webserver demo, the operator, a sample InfrahubSync)
 * and keeps running until Ctrl-C; with KUBECONFIG and INFRAHUB_URL it runs the operator against
 * those instead. See docs/demo.md. The work happens in hack/demo/main.ts, launched in a process
 * group of its own (see launch-in-own-group.ts).
 */
import { join } from "node:path";
import { launchInOwnGroup } from "./launch-in-own-group";

launchInOwnGroup(join(__dirname, "demo", "main.ts"), "npm start");
