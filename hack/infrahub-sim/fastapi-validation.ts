import { pythonJsonError } from "./python-json";

/**
 * FastAPI's own 422 bodies for request bodies that fail to decode or to validate. Infrahub does
 * not wrap these in its error envelope: they keep FastAPI's `{"detail": [...]}` shape. FastAPI
 * decodes the JSON before it resolves any dependency (so a broken body is a 422 even without
 * credentials) and validates it after them (so a wrong shape comes after a 401 or a bad branch);
 * the two steps are separate functions for that reason.
 */

export interface ValidationDetail {
  type: string;
  loc: Array<string | number>;
  msg: string;
  input: unknown;
  ctx?: Record<string, unknown>;
}

export type BodyCheck<T> = { ok: true; value: T } | { ok: false; detail: ValidationDetail[] };

/** Decoded body: `undefined` when there was none (an empty body is "no body" to FastAPI). */
export function decodeJsonBody(raw: string): BodyCheck<unknown> {
  if (raw === "") return { ok: true, value: undefined };
  const invalid = pythonJsonError(raw);
  if (invalid) {
    return {
      ok: false,
      detail: [
        {
          type: "json_invalid",
          loc: ["body", invalid.pos],
          msg: "JSON decode error",
          input: {},
          ctx: { error: invalid.msg },
        },
      ],
    };
  }
  try {
    return { ok: true, value: JSON.parse(raw) as unknown };
  } catch {
    return { ok: true, value: null }; // NaN / Infinity: JSON to Python, never a valid model
  }
}

/** The body as a model's dict; `required` false means no body stands for `{}` (a defaulted model). */
function modelObject(value: unknown, required: boolean): BodyCheck<Record<string, unknown>> {
  if (value === undefined) {
    return required
      ? {
          ok: false,
          detail: [{ type: "missing", loc: ["body"], msg: "Field required", input: null }],
        }
      : { ok: true, value: {} };
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return {
      ok: false,
      detail: [
        {
          type: "model_attributes_type",
          loc: ["body"],
          msg: "Input should be a valid dictionary or object to extract fields from",
          input: value,
        },
      ],
    };
  }
  return { ok: true, value: value as Record<string, unknown> };
}

/** `models.PasswordCredential`: both fields required strings. */
export function checkPasswordCredential(
  decoded: unknown,
): BodyCheck<{ username: string; password: string }> {
  const parsed = modelObject(decoded, true);
  if (!parsed.ok) return parsed;
  const body = parsed.value;
  const detail: ValidationDetail[] = [];
  for (const field of ["username", "password"] as const) {
    if (!(field in body))
      detail.push({ type: "missing", loc: ["body", field], msg: "Field required", input: body });
    else if (typeof body[field] !== "string") {
      detail.push({
        type: "string_type",
        loc: ["body", field],
        msg: "Input should be a valid string",
        input: body[field],
      });
    }
  }
  if (detail.length > 0) return { ok: false, detail };
  return {
    ok: true,
    value: { username: body.username as string, password: body.password as string },
  };
}

/** `api/query.py::QueryPayload`: an optional body with an optional `variables` dict. */
export function checkQueryPayload(decoded: unknown): BodyCheck<Record<string, unknown>> {
  const parsed = modelObject(decoded, false);
  if (!parsed.ok) return parsed;
  const variables = parsed.value.variables;
  if (variables === undefined) return { ok: true, value: {} };
  if (typeof variables !== "object" || variables === null || Array.isArray(variables)) {
    return {
      ok: false,
      detail: [
        {
          type: "dict_type",
          loc: ["body", "variables"],
          msg: "Input should be a valid dictionary",
          input: variables,
        },
      ],
    };
  }
  return { ok: true, value: variables as Record<string, unknown> };
}
