import {
  errorEnvelopeMessages,
  errorMessages,
  isExpiredSignature,
  missingBranch,
} from "./envelope";

describe("errorMessages", () => {
  it("reads the global envelope", () => {
    const body = {
      data: null,
      errors: [{ message: "Incorrect password", extensions: { code: 401 } }],
    };
    expect(errorMessages(body)).toEqual(["Incorrect password"]);
  });

  it("reads GraphQL transport errors given as strings", () => {
    expect(errorMessages({ errors: ["Branch: feature-x not found."] })).toEqual([
      "Branch: feature-x not found.",
    ]);
  });

  it("reads FastAPI validation details", () => {
    const body = {
      detail: [{ type: "missing", loc: ["body", "password"], msg: "Field required" }],
    };
    expect(errorMessages(body)).toEqual(["body.password: Field required"]);
    expect(errorMessages({ detail: "Not Found" })).toEqual(["Not Found"]);
  });

  it("keeps at most five messages, unshortened (scrubbing comes first)", () => {
    const long = "x".repeat(1000);
    const messages = errorMessages({
      errors: Array.from({ length: 9 }, () => ({ message: long })),
    });
    expect(messages).toHaveLength(5);
    expect(messages[0]).toHaveLength(1000);
  });

  it.each([undefined, null, "text", 42, [], { errors: "nope" }, { data: {} }])(
    "finds nothing in %j",
    body => {
      expect(errorMessages(body)).toEqual([]);
    },
  );
});

describe("errorEnvelopeMessages", () => {
  it("recognises exactly an error envelope", () => {
    const text =
      '{"data":null,"errors":[{"message":"Unable to find the node x / StorageObject in the database.","extensions":{"code":404}}]}';
    expect(errorEnvelopeMessages(text)).toEqual([
      "Unable to find the node x / StorageObject in the database.",
    ]);
  });

  it.each([
    "apiVersion: v1\nkind: ConfigMap\n",
    '{"data": {"x": 1}, "errors": [{"message": "m"}]}',
    '{"data": null, "errors": []}',
    '{"data": null, "errors": [{"message": "m"}], "kind": "ConfigMap"}',
    '{"apiVersion": "v1", "kind": "List", "items": []}',
    '{"data":null,"errors":[',
  ])("does not mistake content for an envelope: %j", text => {
    expect(errorEnvelopeMessages(text)).toBeUndefined();
  });
});

describe("message helpers", () => {
  it("spots an expired signature", () => {
    expect(isExpiredSignature(["Expired Signature"])).toBe(true);
    expect(isExpiredSignature(["Invalid token"])).toBe(false);
  });

  it("extracts a missing branch name", () => {
    expect(missingBranch(["Branch: release/1.0 not found."])).toBe("release/1.0");
    expect(missingBranch(["Something else"])).toBeUndefined();
  });
});
