/**
 * FastAPI's own 422 bodies for request bodies that fail pydantic validation. Infrahub does not
 * wrap these in its error envelope: they keep FastAPI's `{"detail": [...]}` shape.
 */

export interface ValidationDetail {
  type: string;
  loc: Array<string | number>;
  msg: string;
  input: unknown;
  ctx?: Record<string, unknown>;
}

export type BodyCheck<T> = { ok: true; value: T } | { ok: false; detail: ValidationDetail[] };

/** Parses a JSON body; `required` false means an empty body stands for `{}` (a defaulted model). */
export function parseJsonObject(
  raw: string,
  required: boolean,
): BodyCheck<Record<string, unknown>> {
  if (raw.trim() === "") {
    return required
      ? {
          ok: false,
          detail: [{ type: "missing", loc: ["body"], msg: "Field required", input: null }],
        }
      : { ok: true, value: {} };
  }
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch (err) {
    const position = /position (\d+)/.exec(String((err as Error).message))?.[1];
    return {
      ok: false,
      detail: [
        {
          type: "json_invalid",
          loc: ["body", position === undefined ? 0 : Number(position)],
          msg: "JSON decode error",
          input: {},
          ctx: { error: "Expecting value" },
        },
      ],
    };
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
  raw: string,
): BodyCheck<{ username: string; password: string }> {
  const parsed = parseJsonObject(raw, true);
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
export function checkQueryPayload(raw: string): BodyCheck<Record<string, unknown>> {
  const parsed = parseJsonObject(raw, false);
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
