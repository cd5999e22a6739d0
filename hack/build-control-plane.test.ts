/**
 * The binary cache is keyed by every pinned version; a binary whose own version did not change is
 * taken from an older cache directory instead of being rebuilt (CI machines with the previous cache
 * build only what is new). Run with fake binaries and without Go on the PATH: any attempt to build
 * would fail.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const script = resolve(__dirname, "build-control-plane.sh");
let cache: string;

beforeEach(() => {
  cache = mkdtempSync(join(tmpdir(), "cp-cache-"));
});
afterEach(() => rmSync(cache, { recursive: true, force: true }));

const env = () => ({ PATH: "/usr/bin:/bin", HOME: cache, VIDRA_PEPR_CACHE: cache });

function fake(dir: string, name: string): void {
  mkdirSync(join(cache, dir, "bin"), { recursive: true });
  const file = join(cache, dir, "bin", name);
  writeFileSync(file, `#!/bin/sh\necho ${dir}\n`);
  chmodSync(file, 0o755);
}

function binDir(): string {
  return execFileSync("bash", [script, "--print-dir"], { env: env(), encoding: "utf8" }).trim();
}

test("the cache directory names the Kubernetes, etcd and KWOK versions", () => {
  expect(binDir()).toMatch(/\/k8s-v1\.\d+\.\d+-etcd-v3\.\d+\.\d+-kwok-v0\.\d+\.\d+\/bin$/);
});

test("binaries of unchanged versions are reused from older cache directories; nothing is built", () => {
  const dir = binDir();
  const [, k8s, etcd, kwok] = /k8s-(v[^-]+)-etcd-(v[^-]+)-kwok-(v[^/]+)\/bin$/.exec(dir)!;
  // The layout before KWOK: same Kubernetes and etcd.
  const before = `k8s-${k8s}-etcd-${etcd}`;
  for (const b of ["etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler"])
    fake(before, b);
  // Another Kubernetes version: none of its kube-* binaries may be taken; its KWOK may.
  const other = `k8s-v1.0.0-etcd-v3.0.0-kwok-${kwok}`;
  for (const b of ["kube-apiserver", "kwok"]) fake(other, b);

  const r = spawnSync("bash", [script], { env: env(), encoding: "utf8" });
  expect(r.stderr).toBe("");
  expect(r.status).toBe(0);
  const from = (b: string) => execFileSync(join(dir, b), { encoding: "utf8" }).trim();
  expect(from("kube-apiserver")).toBe(before);
  expect(from("kube-scheduler")).toBe(before);
  expect(from("etcd")).toBe(before);
  expect(from("kwok")).toBe(other);
  expect(r.stdout).not.toMatch(/building/);
});

test("what no older directory has must be built (and needs Go)", () => {
  const dir = binDir();
  const [, k8s, etcd] = /k8s-(v[^-]+)-etcd-(v[^-]+)-kwok-/.exec(dir)!;
  for (const b of ["etcd", "kube-apiserver", "kube-controller-manager"])
    fake(`k8s-${k8s}-etcd-${etcd}`, b);
  const r = spawnSync("bash", [script], { env: env(), encoding: "utf8" });
  expect(r.status).not.toBe(0);
  expect(r.stderr).toMatch(/Go \(1\.26 or newer\) is needed/);
  expect(r.stdout).toMatch(/reusing kube-apiserver/);
});
