import { MalformedWebhookError, parseWebhookBody } from "./artifact-event";

const body = (v: unknown) => Buffer.from(typeof v === "string" ? v : JSON.stringify(v));

// What infrahub-server 1.11.9 sends for an artifact update (webhook/models.py, events/artifact_action.py).
const infrahubBody = {
  data: {
    node_id: "18a1b7b0-7c2a-4a5f-a0b6-c9d3f0d0e001",
    artifact_definition_id: "18a1b7b0-def",
    artifact_definition_name: "Webserver_Artifact_Definition",
    target_id: "18a1b7b0-target",
    target_kind: "KubernetesWebserver",
    checksum: "0123456789abcdef0123456789abcdef",
    checksum_previous: "fedcba9876543210fedcba9876543210",
    storage_id: "18a1b7b0-storage",
    storage_id_previous: "18a1b7b0-storage-old",
  },
  id: "5f0c2b2e-5d2b-4f0c-9c55-3f1d2b7a9e10",
  branch: "main",
  account_id: null,
  occured_at: "2025-06-01 10:00:00.123456+00:00",
  event: "infrahub.artifact.updated",
};

test("reads an artifact event as Infrahub sends it", () => {
  expect(parseWebhookBody(body(infrahubBody))).toEqual({
    kind: "artifact",
    event: {
      id: infrahubBody.id,
      type: "infrahub.artifact.updated",
      branch: "main",
      artifactId: infrahubBody.data.node_id,
      definitionId: "18a1b7b0-def",
      definitionName: "Webserver_Artifact_Definition",
      targetId: "18a1b7b0-target",
      checksum: infrahubBody.data.checksum,
      occurredAt: infrahubBody.occured_at,
    },
  });
  const created = {
    ...infrahubBody,
    event: "infrahub.artifact.created",
    data: { ...infrahubBody.data, checksum_previous: null },
  };
  expect(parseWebhookBody(body(created))).toMatchObject({
    kind: "artifact",
    event: { type: "infrahub.artifact.created" },
  });
});

test("other events are recognised but lead nowhere", () => {
  expect(
    parseWebhookBody(body({ id: "e", event: "infrahub.node.updated", branch: null, data: {} })),
  ).toEqual({
    kind: "other",
    id: "e",
    type: "infrahub.node.updated",
  });
});

test.each([
  ["not JSON", "{"],
  ["not an object", "[1]"],
  ["no id", { ...infrahubBody, id: undefined }],
  ["no event", { ...infrahubBody, event: 3 }],
  ["no branch on an artifact event", { ...infrahubBody, branch: null }],
  ["no data", { ...infrahubBody, data: "x" }],
  ["no node_id", { ...infrahubBody, data: { ...infrahubBody.data, node_id: "" } }],
])("refuses a body with %s", (_what, value) => {
  expect(() => parseWebhookBody(body(value))).toThrow(MalformedWebhookError);
});
