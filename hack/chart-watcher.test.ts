import {
  withChartReplicas,
  withChartReplicaValue,
  withWatcherSchema,
  WATCHER_DEFINITION,
} from "./chart-watcher";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

describe("the chart's watcher.replicas", () => {
  const template =
    "apiVersion: apps/v1\nkind: Deployment\nspec:\n  replicas: 1\n  strategy:\n    type: Recreate\n";

  it("replaces Pepr's literal replica count in the watcher Deployment, once", () => {
    const out = withChartReplicas(template);
    expect(out).toBe(
      "apiVersion: apps/v1\nkind: Deployment\nspec:\n  replicas: {{ .Values.watcher.replicas }}\n  strategy:\n    type: Recreate\n",
    );
    expect(withChartReplicas(out)).toBe(out);
    expect(() => withChartReplicas("spec:\n  strategy: {}\n")).toThrow("no `replicas: <number>`");
  });

  it("is 1 in values.yaml, under watcher: and replacing an earlier value", () => {
    const values = "admission:\n  replicas: 2\n  enabled: true\nwatcher:\n  enabled: true\n";
    const out = withChartReplicaValue(values);
    expect(out).toBe(
      "admission:\n  replicas: 2\n  enabled: true\nwatcher:\n  replicas: 1\n  enabled: true\n",
    );
    expect(withChartReplicaValue(out, 3)).toBe(
      "admission:\n  replicas: 2\n  enabled: true\nwatcher:\n  replicas: 3\n  enabled: true\n",
    );
    expect(() => withChartReplicaValue("admission: {}\n")).toThrow("no watcher: section");
  });
});

describe("the chart's watcher values schema", () => {
  const pepr = {
    $schema: "http://json-schema.org/draft-06/schema#",
    $ref: "#/definitions/Values",
    definitions: {
      Values: {
        type: "object",
        additionalProperties: false,
        properties: {
          admission: { $ref: "#/definitions/Admission" },
          watcher: { $ref: "#/definitions/Admission" },
        },
      },
      Admission: {
        type: "object",
        additionalProperties: false,
        properties: { enabled: { type: "boolean" } },
        required: ["enabled"],
        title: "Admission",
      },
    },
  };

  it("gives watcher a definition of its own that allows replicas >= 1 and nodeFlags", () => {
    const out = JSON.parse(withWatcherSchema(JSON.stringify(pepr))) as Json;
    expect(out.definitions.Values.properties).toEqual({
      admission: { $ref: "#/definitions/Admission" },
      watcher: { $ref: `#/definitions/${WATCHER_DEFINITION}` },
    });
    expect(out.definitions.Admission).toEqual(pepr.definitions.Admission);
    expect(out.definitions[WATCHER_DEFINITION]).toEqual({
      type: "object",
      additionalProperties: false,
      properties: {
        enabled: { type: "boolean" },
        replicas: { type: "integer", minimum: 1 },
        nodeFlags: { type: "array", items: { type: "string" } },
      },
      required: ["enabled"],
      title: WATCHER_DEFINITION,
    });
  });

  it("changes nothing when run twice, and says when there is no watcher", () => {
    const once = withWatcherSchema(JSON.stringify(pepr));
    expect(withWatcherSchema(once)).toBe(once);
    expect(() => withWatcherSchema(JSON.stringify({ properties: {} }))).toThrow(
      "no watcher property",
    );
  });
});
