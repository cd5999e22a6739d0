import { objectDiff } from "./object-diff";

const cm = (data: Record<string, string>, meta: Record<string, unknown> = {}) => ({
  apiVersion: "v1",
  kind: "ConfigMap",
  metadata: { name: "c", namespace: "n", ...meta },
  data,
});

test("a unified diff of the YAML, keys sorted, from live to merged, three lines of context", () => {
  const text = objectDiff("v1.ConfigMap.n.c", cm({ b: "1", a: "1" }), cm({ a: "1", b: "2" }));
  expect(text).toBe(
    [
      "--- live/v1.ConfigMap.n.c",
      "+++ merged/v1.ConfigMap.n.c",
      "@@ -1,7 +1,7 @@",
      " apiVersion: v1",
      " data:",
      "   a: '1'",
      "-  b: '1'",
      "+  b: '2'",
      " kind: ConfigMap",
      " metadata:",
      "   name: c",
      "",
    ].join("\n"),
  );
});

test("what the server writes is no difference: managedFields, resourceVersion, generation, uid, creationTimestamp, status", () => {
  const live = cm(
    { a: "1" },
    {
      resourceVersion: "1",
      generation: 1,
      managedFields: [{ manager: "x" }],
      uid: "u1",
      creationTimestamp: "t1",
    },
  );
  const dry = {
    ...cm(
      { a: "1" },
      {
        resourceVersion: "2",
        generation: 2,
        managedFields: [],
        uid: "u2",
        creationTimestamp: "t2",
      },
    ),
    status: {},
  };
  expect(objectDiff("v1.ConfigMap.n.c", live, dry)).toBe("");
});

test("created and deleted objects diff against /dev/null", () => {
  expect(objectDiff("x", undefined, cm({ a: "1" }))).toMatch(
    /^--- \/dev\/null\n\+\+\+ merged\/x\n@@ -0,0 \+1,7 @@\n\+apiVersion: v1\n/,
  );
  expect(objectDiff("x", cm({ a: "1" }), undefined)).toMatch(
    /^--- live\/x\n\+\+\+ \/dev\/null\n@@ -1,7 \+0,0 @@\n-apiVersion: v1\n/,
  );
});
