import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Lifecycle, StopRequested, removeAbandonedDirs } from "./lifecycle";

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

test("cleanups run newest first, each is announced, and one failing does not stop the rest", async () => {
  const said: string[] = [];
  const order: string[] = [];
  const life = new Lifecycle(l => said.push(l));
  const dir = life.tempDir("lifecycle-test-");
  writeFileSync(join(dir, "f"), "x");
  life.defer("first", () => void order.push("first"));
  life.defer("second", () => {
    throw new Error("boom");
  });
  life.defer("third", async () => void order.push("third"));
  await life.cleanup();
  expect(order).toEqual(["third", "first"]);
  expect(said).toEqual([
    "  third",
    "  second",
    "  second: failed: boom",
    "  first",
    `  removing ${dir}`,
  ]);
  expect(existsSync(dir)).toBe(false);
  await life.cleanup(); // nothing left to do
});

test("a stop request resolves `stopped` with its reason and makes check() throw", async () => {
  const life = new Lifecycle(() => undefined);
  expect(() => life.check()).not.toThrow();
  life.requestStop("SIGTERM");
  life.requestStop("later");
  await expect(life.stopped).resolves.toBe("SIGTERM");
  expect(life.stopping).toBe(true);
  expect(() => life.check()).toThrow(StopRequested);
});

test("run() succeeds quietly, and a failure carries the command, the exit code and the log's tail", async () => {
  const life = new Lifecycle(() => undefined);
  const dir = life.tempDir("lifecycle-test-");
  await life.run("bash", ["-c", "exit 0"], { cwd: dir, logFile: join(dir, "ok.log") });
  const log = join(dir, "fail.log");
  await expect(
    life.run("bash", ["-c", "echo the reason it broke; exit 3"], { cwd: dir, logFile: log }),
  ).rejects.toThrow(
    /bash -c echo the reason it broke; exit 3 failed \(exit code 3\)\nthe reason it broke/,
  );
  await expect(life.run("/nonexistent/tool", [], { cwd: dir })).rejects.toThrow(
    /failed \(spawn \/nonexistent\/tool ENOENT\)/,
  );
  await life.cleanup();
});

test("a stop kills the running command's whole process group, grandchildren included", async () => {
  const life = new Lifecycle(() => undefined);
  const dir = life.tempDir("lifecycle-test-");
  const pids = join(dir, "pids");
  const running = life.run(
    "bash",
    ["-c", `sleep 120 & echo $! > ${pids}.tmp; mv ${pids}.tmp ${pids}; wait`],
    { cwd: dir, logFile: join(dir, "log") },
  );
  const outcome = running.then(
    () => "resolved",
    (err: unknown) => err,
  );
  while (!existsSync(pids)) await new Promise(r => setTimeout(r, 50));
  const grandchild = Number(readFileSync(pids, "utf8"));
  expect(alive(grandchild)).toBe(true);
  life.requestStop("SIGINT");
  expect(await outcome).toBeInstanceOf(StopRequested);
  for (let i = 0; i < 100 && alive(grandchild); i++) await new Promise(r => setTimeout(r, 50));
  expect(alive(grandchild)).toBe(false);
  await life.cleanup();
  await expect(life.run("true", [], { cwd: "/" })).rejects.toBeInstanceOf(StopRequested);
});

test("removeAbandonedDirs removes the dirs of a dead owner only", async () => {
  const prefix = `lifecycle-abandoned-${process.pid}-`;
  const life = new Lifecycle(() => undefined);
  const mine = life.tempDir(prefix);
  const dead = mkdtempSync(join(tmpdir(), prefix));
  writeFileSync(join(dead, "owner.pid"), `${spawnSync(process.execPath, ["-e", "0"]).pid}\n`);
  const foreign = mkdtempSync(join(tmpdir(), prefix));
  try {
    expect(removeAbandonedDirs(prefix)).toEqual([dead]);
    expect([existsSync(mine), existsSync(dead), existsSync(foreign)]).toEqual([true, false, true]);
  } finally {
    rmSync(foreign, { recursive: true, force: true });
    await life.cleanup();
  }
});

test("a closed stdout (npm start | head) stops the demo the polite way: its temp dirs are removed", () => {
  const work = mkdtempSync(join(tmpdir(), "lifecycle-pipe-"));
  try {
    const script = join(work, "demo.ts");
    const done = join(work, "done");
    writeFileSync(
      script,
      `import { writeFileSync } from "node:fs";
import { Lifecycle } from ${JSON.stringify(join(__dirname, "lifecycle"))};
const life = new Lifecycle(line => process.stdout.write(line + "\\n"));
life.handleSignals();
const dir = life.tempDir("lifecycle-pipe-dir-");
process.stdout.write(dir + "\\n");
const tick = setInterval(() => process.stdout.write("still here\\n"), 10);
void life.stopped.then(async reason => {
  clearInterval(tick);
  await life.cleanup();
  writeFileSync(${JSON.stringify(done)}, reason);
});
`,
    );
    const tsx = join(__dirname, "..", "..", "node_modules", ".bin", "tsx");
    // head exits after the first line; the script's next write meets a closed pipe.
    const r = spawnSync("sh", ["-c", `"${tsx}" "${script}" | head -n 1`], {
      encoding: "utf8",
      timeout: 60_000,
    });
    const dir = r.stdout.trim();
    expect(dir).toContain("lifecycle-pipe-dir-");
    expect(existsSync(dir)).toBe(false);
    expect(readFileSync(done, "utf8")).toBe("output closed");
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});
