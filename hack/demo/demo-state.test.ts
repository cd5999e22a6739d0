import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readDemoState, removeDemoState, writeDemoState, type DemoState } from "./demo-state";

let dir: string;
const state = (pid: number): DemoState => ({
  pid,
  mode: "local",
  startedAt: "2026-01-01T00:00:00Z",
  simulatorUrl: "http://127.0.0.1:8000",
  kubeconfig: "/tmp/x/kubeconfig",
  server: "https://127.0.0.1:6443",
  syncName: "sync-test-webserver",
  branch: "main",
  pollInterval: "5s",
  tempDirs: ["/tmp/x"],
});

beforeEach(() => (dir = mkdtempSync(join(tmpdir(), "demo-state-test-"))));
afterEach(() => rmSync(dir, { recursive: true, force: true }));

test("what is written is read back while the demo's process lives", () => {
  const file = join(dir, "sub", "demo.json");
  writeDemoState(file, state(process.pid));
  expect(readDemoState(file)).toEqual(state(process.pid));
  expect(JSON.parse(readFileSync(file, "utf8")).simulatorUrl).toBe("http://127.0.0.1:8000");
});

test("no file, or a file left by a demo that is gone, says to start one", () => {
  expect(() => readDemoState(join(dir, "none.json"))).toThrow(
    /no demo is running .* start one with "npm start"/,
  );
  const dead = spawnSync(process.execPath, ["-e", "0"]).pid!;
  writeDemoState(join(dir, "old.json"), state(dead));
  expect(() => readDemoState(join(dir, "old.json"))).toThrow(
    new RegExp(`\\(pid ${dead}\\) is no longer running`),
  );
  writeFileSync(join(dir, "bad.json"), "{");
  expect(() => readDemoState(join(dir, "bad.json"))).toThrow(/is not readable demo state/);
});

test("removing leaves a file that a newer demo wrote", () => {
  const file = join(dir, "demo.json");
  writeDemoState(file, state(process.pid + 1));
  removeDemoState(file);
  expect(existsSync(file)).toBe(true);
  writeDemoState(file, state(process.pid));
  removeDemoState(file);
  expect(existsSync(file)).toBe(false);
});
