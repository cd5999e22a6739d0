/**
 * Reading Infrahub's error bodies. Infrahub has three: the global envelope
 * `{"data": null, "errors": [{"message", "extensions": {"code"}}]}`, GraphQL transport errors as
 * plain strings `{"errors": ["Branch: x not found."]}`, and FastAPI validation `{"detail": [...]}`.
 */

const MAX_MESSAGES = 5;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function messageOf(entry: unknown): string | undefined {
  if (typeof entry === "string") return entry;
  if (!isRecord(entry)) return undefined;
  if (typeof entry.message === "string") return entry.message;
  // A failing stored query (1.11: GraphQLQueryError) puts a whole GraphQL error object in
  // `message`: {"message": {"message": "GraphQLQuery <name>: …", "path", "locations"}}.
  if (isRecord(entry.message) && typeof entry.message.message === "string")
    return entry.message.message;
  // FastAPI: {"loc": ["body", "password"], "msg": "Field required"}
  if (typeof entry.msg === "string") {
    const loc = Array.isArray(entry.loc) ? entry.loc.join(".") : "";
    return loc ? `${loc}: ${entry.msg}` : entry.msg;
  }
  return undefined;
}

/**
 * Infrahub's own error messages in a parsed body (any of the three shapes), at most five. Raw:
 * pass them through `presentMessages` (scrub, then shorten) before they reach a message or log.
 */
export function errorMessages(body: unknown): string[] {
  if (!isRecord(body)) return [];
  const list = Array.isArray(body.errors)
    ? body.errors
    : Array.isArray(body.detail)
      ? body.detail
      : undefined;
  if (list) {
    return list
      .map(messageOf)
      .filter((m): m is string => m !== undefined)
      .slice(0, MAX_MESSAGES);
  }
  return typeof body.detail === "string" ? [body.detail] : [];
}

/** JSON.parse that answers undefined instead of throwing. */
export function tryParseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/**
 * The messages when `text` is exactly Infrahub's error envelope (`data` null, non-empty `errors`,
 * nothing else), otherwise undefined. Used on download bodies, which are opaque text: an older
 * Python SDK returned such envelopes as artifact content (infrahub-sdk-python #958).
 */
export function errorEnvelopeMessages(text: string): string[] | undefined {
  const trimmed = text.trim();
  if (!trimmed.startsWith("{") || !trimmed.includes('"errors"')) return undefined;
  const body = tryParseJson(trimmed);
  if (
    !isRecord(body) ||
    body.data !== null ||
    !Array.isArray(body.errors) ||
    body.errors.length === 0
  ) {
    return undefined;
  }
  if (Object.keys(body).some(key => key !== "data" && key !== "errors")) return undefined;
  const messages = errorMessages(body);
  return messages.length > 0 ? messages : ["(error envelope without messages)"];
}

/** Infrahub's answer to an expired JWT (both for access tokens and for refresh tokens). */
export function isExpiredSignature(messages: readonly string[]): boolean {
  return messages.some(m => m.trim() === "Expired Signature");
}

/**
 * 1.11's `BranchQueryTimeValidator`: `Requested time '<t>' is before branch '<b>' was created at
 * '<c>'.` (HTTP 422 on GraphQL and REST). The parts, or undefined for any other message.
 */
export function timeBeforeBranch(
  messages: readonly string[],
): { requestedTime: string; branch: string; branchCreatedAt: string } | undefined {
  for (const m of messages) {
    const match =
      /^Requested time '([^']+)' is before branch '([^']+)' was created at '([^']+)'\.?$/.exec(
        m.trim(),
      );
    if (match) return { requestedTime: match[1], branch: match[2], branchCreatedAt: match[3] };
  }
  return undefined;
}

/** `Branch: <name> not found.` as sent by GraphQL (404) and REST (400). */
export function missingBranch(messages: readonly string[]): string | undefined {
  for (const m of messages) {
    const match = /^Branch: (.+) not found\.?$/.exec(m.trim());
    if (match) return match[1];
  }
  return undefined;
}
