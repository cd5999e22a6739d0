import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { genRbac, PACKAGE_JSON } from "./gen-rbac";
import { loadPreset, parseAppliedKinds } from "./applied-kinds-file";
import { rbacRules } from "./policy-rules";

let dir: string;
let pkgPath: string;
const basePkg = {
  name: "x",
  pepr: { uuid: "demo", onError: "reject", env: {} },
  scripts: { build: "npx pepr build" },
};

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "gen-rbac-"));
  pkgPath = join(dir, "package.json");
  writeFileSync(pkgPath, `${JSON.stringify(basePkg, null, 2)}\n`);
});

afterEach(() => rmSync(dir, { recursive: true, force: true }));

const read = () => JSON.parse(readFileSync(pkgPath, "utf8"));

describe("gen:rbac", () => {
  it("writes rbacMode scoped and the preset's rules, leaving every other key alone", () => {
    const r = genRbac(["--preset", "webserver", "--package", pkgPath]);
    expect(r.code).toBe(0);
    expect(r.out).toContain("preset webserver: Vidra's webserver demo");
    const pkg = read();
    expect(pkg.pepr.rbacMode).toBe("scoped");
    expect(pkg.pepr.rbac).toEqual(rbacRules("demo", loadPreset("webserver").kinds));
    expect({ ...pkg, pepr: { ...pkg.pepr, rbac: undefined, rbacMode: undefined } }).toEqual({
      ...basePkg,
      pepr: { ...basePkg.pepr, rbac: undefined, rbacMode: undefined },
    });
    expect(readFileSync(pkgPath, "utf8").endsWith("}\n")).toBe(true);
  });

  it("combines presets and files", () => {
    const file = join(dir, "kinds.yaml");
    writeFileSync(file, "description: mine\nkinds:\n  - apiGroup: batch\n    resources: [jobs]\n");
    expect(
      genRbac([
        "--preset",
        "webserver",
        "--preset",
        "secrets",
        "--kinds-file",
        file,
        "--package",
        pkgPath,
      ]).code,
    ).toBe(0);
    const resources = read().pepr.rbac.map((r: { resources: string[] }) => r.resources[0]);
    expect(resources).toEqual(expect.arrayContaining(["jobs", "deployments", "secrets"]));
    expect(resources.filter((r: string) => r === "secrets")).toHaveLength(1);
  });

  it("--check passes on a generated file and names what differs otherwise", () => {
    expect(genRbac(["--preset", "webserver", "--package", pkgPath, "--check"]).code).toBe(1);
    genRbac(["--preset", "webserver", "--package", pkgPath]);
    const ok = genRbac(["--preset", "webserver", "--package", pkgPath, "--check"]);
    expect(ok).toEqual({ code: 0, out: expect.stringContaining("pepr.rbac matches") });
    const broad = genRbac(["--preset", "broad", "--package", pkgPath, "--check"]);
    expect(broad.code).toBe(1);
    expect(broad.out).toMatch(/missing: \{"apiGroups":\["apps"\],"resources":\["statefulsets"\]/);
    expect(broad.out).toMatch(
      /unexpected: \{"apiGroups":\[""\],"resources":\["secrets"\],"verbs":\["create"/,
    );
    expect(broad.out).toContain("run: npm run gen:rbac -- --preset broad");
  });

  it("--without-secret-reads drops the cluster-wide Secret reads, unless a preset writes Secrets", () => {
    expect(
      genRbac(["--preset", "broad", "--without-secret-reads", "--package", pkgPath]).code,
    ).toBe(0);
    const rules = read().pepr.rbac as Array<{ resources: string[] }>;
    expect(rules.some(r => r.resources[0] === "secrets")).toBe(false);
    expect(rules.some(r => r.resources[0] === "configmaps")).toBe(true);
    const clash = genRbac([
      "--preset",
      "webserver",
      "--without-secret-reads",
      "--package",
      pkgPath,
    ]);
    expect(clash).toEqual({
      code: 1,
      out: expect.stringContaining("the applied kinds include secrets"),
    });
  });

  it("--print writes nothing", () => {
    const r = genRbac(["--preset", "broad", "--print", "--package", pkgPath]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toEqual(rbacRules("demo", loadPreset("broad").kinds));
    expect(read()).toEqual(basePkg);
  });

  it("explains bad arguments and unknown presets", () => {
    const none = genRbac([]);
    expect(none.code).toBe(2);
    expect(none.out).toContain("give --preset or --kinds-file");
    expect(none.out).toMatch(/--preset NAME .*broad, crds, rbac, secrets, webserver/);
    const unknown = genRbac(["--preset", "everything", "--package", pkgPath]);
    expect(unknown).toEqual({
      code: 1,
      out: expect.stringContaining('unknown preset "everything"'),
    });
    expect(genRbac(["--preset"]).out).toContain("--preset needs a value");
    expect(read()).toEqual(basePkg);
  });

  it("points at the project's package.json by default", () => {
    expect(PACKAGE_JSON).toMatch(/package\.json$/);
    expect(JSON.parse(readFileSync(PACKAGE_JSON, "utf8")).pepr.uuid).toBe("vidra-pepr");
  });
});

describe("applied-kinds files", () => {
  it("rejects wildcards, bad names and missing fields with the place of the problem", () => {
    expect(() =>
      parseAppliedKinds("kinds:\n  - apiGroup: ''\n    resources: ['*']\n", "f.yaml"),
    ).toThrow('f.yaml: kinds[0].resources: "*" is not a valid name (wildcards are not allowed');
    expect(() => parseAppliedKinds("kinds:\n  - resources: [pods]\n", "f.yaml")).toThrow(
      'f.yaml: kinds[0].apiGroup: expected a string ("" for the core group)',
    );
    expect(() =>
      parseAppliedKinds("kinds:\n  - apiGroup: Apps\n    resources: [x]\n", "f.yaml"),
    ).toThrow('"Apps" is not an API group name');
    expect(() => parseAppliedKinds("kinds: pods\n", "f.yaml")).toThrow(
      "f.yaml: kinds must be a list",
    );
    expect(() => parseAppliedKinds("- a\n", "f.yaml")).toThrow(
      "expected a mapping with description and kinds",
    );
  });

  it("reads extra verbs", () => {
    const f = parseAppliedKinds(
      "description: d\nkinds:\n  - apiGroup: rbac.authorization.k8s.io\n    resources: [roles]\n    extraVerbs: [bind]\n",
      "f",
    );
    expect(f).toEqual({
      source: "f",
      description: "d",
      kinds: [
        { apiGroup: "rbac.authorization.k8s.io", resources: ["roles"], extraVerbs: ["bind"] },
      ],
    });
  });
});
