import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";

/** Pinned versions; install.sh holds the same two (it installs them). */
export const INFRAHUB_VERSION = "1.11.9";
export const NEO4J_VERSION = "2026.05.0";

const script = resolve(__dirname, "install.sh");

export interface Installation {
  /** `<cache>/infrahub-<version>`: venv, Neo4j jars, snapshots of seeded databases. */
  dir: string;
  venvBin: string;
  neo4jClassPath: string;
  javaHome: string;
  rabbitBin: string;
}

function installDir(): string {
  return execFileSync("bash", [script, "--print-dir"], { encoding: "utf8" }).trim();
}

/** Whether install.sh has completed (venv, Neo4j jars, Debian packages), without running it. */
export function isInstalled(): boolean {
  return existsSync(join(installDir(), "installed"));
}

/** Where install.sh put everything; throws with what to run when it has not. */
export function installation(): Installation {
  const dir = installDir();
  if (!existsSync(join(dir, "installed"))) {
    throw new Error(
      `a real Infrahub ${INFRAHUB_VERSION} is not installed in ${dir}: run "npm run infrahub:install" (bash hack/real-infrahub/install.sh) first`,
    );
  }
  const javaHome = execFileSync("bash", [script, "--print-java"], { encoding: "utf8" }).trim();
  const neo = join(dir, `neo4j-${NEO4J_VERSION}`);
  return {
    dir,
    venvBin: join(dir, "venv", "bin"),
    neo4jClassPath: `${join(neo, "classes")}:${join(neo, "lib", "*")}`,
    javaHome,
    rabbitBin: "/usr/lib/rabbitmq/bin",
  };
}
