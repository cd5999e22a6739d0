/**
 * `npm run dev`: the module in Pepr's dev mode against a local control plane (see dev-main.ts),
 * launched in a process group of its own (see launch-in-own-group.ts).
 */
import { join } from "node:path";
import { launchInOwnGroup } from "./launch-in-own-group";

launchInOwnGroup(join(__dirname, "dev-main.ts"), "npm run dev");
