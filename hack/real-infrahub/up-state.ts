import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { isAlive } from "../control-plane/processes";
import type { RealInfrahubInfo } from "./stack";

/** Where `npm run infrahub:up` keeps its state; tests point VIDRA_PEPR_STATE_DIR elsewhere. */
export function upStateDir(): string {
  const root = resolve(__dirname, "..", "..");
  return join(process.env.VIDRA_PEPR_STATE_DIR ?? join(root, ".cluster"), "infrahub");
}

export interface UpState {
  /** The `serve` process that owns the stack. */
  pid: number;
  info: RealInfrahubInfo;
}

/** The stack `infrahub:up` started, if it is still running. */
export function readUpState(file = join(upStateDir(), "state.json")): UpState | undefined {
  try {
    const s = JSON.parse(readFileSync(file, "utf8")) as UpState;
    return isAlive(s.pid) ? s : undefined;
  } catch {
    return undefined;
  }
}
