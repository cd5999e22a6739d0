import {
  errorEnvelopeMessages,
  errorMessages,
  isExpiredSignature,
  missingBranch,
  timeBeforeBranch,
} from "./envelope";

describe("errorMessages", () => {
  it("reads the global envelope", () => {
    const body = {
      data: null,
      errors: [{ message: "Incorrect password", extensions: { code: 401 } }],
    };
    expect(errorMessages(body)).toEqual(["Incorrect password"]);
  });

  // infrahub-server 1.11.9, contract case sq/resolver-error: GraphQLQueryError's errors are dicts.
  it("reads a failing stored query's envelope, whose message is an object", () => {
    const body = {
      data: null,
      errors: [
        {
          message: {
            message: "GraphQLQuery ResolverError: limit must be a non-negative integer",
            path: ["CoreArtifact"],
            locations: [{ line: 1, column: 23 }],
          },
          extensions: { code: 502 },
        },
      ],
    };
    expect(errorMessages(body)).toEqual([
      "GraphQLQuery ResolverError: limit must be a non-negative integer",
    ]);
  });

  it("reads the GraphQL error catalogue's envelope (string code)", () => {
    const body = {
      data: null,
      errors: [
        {
          message: "Expired Signature",
          extensions: { code: "TOKEN_EXPIRED", http_status: 401, data: { expired_at: null } },
        },
      ],
    };
    expect(errorMessages(body)).toEqual(["Expired Signature"]);
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

  it("reads the parts of 1.11's 'before branch' message", () => {
    expect(
      timeBeforeBranch([
        "Requested time '2020-01-01T00:00:00.000000Z' is before branch 'main' was created at '2026-12-04T17:43:56.023199Z'.",
      ]),
    ).toEqual({
      requestedTime: "2020-01-01T00:00:00.000000Z",
      branch: "main",
      branchCreatedAt: "2026-12-04T17:43:56.023199Z",
    });
    expect(timeBeforeBranch(["Field required"])).toBeUndefined();
  });

  it("extracts a missing branch name", () => {
    expect(missingBranch(["Branch: release/1.0 not found."])).toBe("release/1.0");
    expect(missingBranch(["Something else"])).toBeUndefined();
  });
});
