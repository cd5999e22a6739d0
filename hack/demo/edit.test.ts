import { describeChanges, parseEditArgs } from "./edit";
import { defaultParams } from "./webserver";

test("parses the target, the changes and the branch", () => {
  expect(parseEditArgs(["web-01", "replicas=5", "image=nginx:1.28"])).toEqual({
    target: "web-01",
    branch: "main",
    print: false,
    edits: ["replicas=5", "image=nginx:1.28"],
  });
  expect(parseEditArgs(["--branch", "feature-scale", "web-02", "replicas=1"])).toMatchObject({
    target: "web-02",
    branch: "feature-scale",
  });
  expect(parseEditArgs(["web-02", "--branch=feature-scale", "--print"])).toEqual({
    target: "web-02",
    branch: "feature-scale",
    print: true,
    edits: [],
  });
});

test.each([
  [[], /name the target first/],
  [["replicas=5"], /name the target first/],
  [["web-01"], /say what to change/],
  [["web-01", "--print", "replicas=2"], /--print shows the manifest/],
  [["web-01", "--branch"], /--branch needs a branch name/],
  [["web-01", "--force"], /unknown option --force/],
  [["--help"], /^usage: npm run demo:edit/],
])("refuses %j", (argv, message) => {
  expect(() => parseEditArgs(argv)).toThrow(message);
});

test("describes what changed", () => {
  const before = defaultParams("web-01", { replicas: 2 });
  expect(describeChanges(before, { ...before, replicas: 5, image: "nginx:1.28" })).toBe(
    "replicas 2 → 5, image nginx:1.27 → nginx:1.28",
  );
  expect(describeChanges(before, before)).toBe("nothing (already so)");
});
