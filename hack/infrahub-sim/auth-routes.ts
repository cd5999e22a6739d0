import type { AuthReply } from "./auth";
import { checkPasswordCredential, decodeJsonBody } from "./fastapi-validation";
import type { Exchange } from "./http-io";
import type { SimCore } from "./sim-core";

/** Starlette's `set_cookie(..., httponly=True, max_age=...)` defaults: path "/", SameSite lax. */
function cookie(name: string, value: string, maxAgeSeconds: number): string {
  return `${name}=${value}; HttpOnly; Max-Age=${maxAgeSeconds}; Path=/; SameSite=lax`;
}

function clearedCookie(name: string): string {
  return `${name}=""; expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; Path=/; SameSite=lax`;
}

function replyError(ex: Exchange, reply: Exclude<AuthReply, { status: 200 }>): void {
  ex.error(reply.status, reply.message);
}

/** `POST /api/auth/login` → `{access_token, refresh_token}` and both cookies. */
export async function login(core: SimCore, ex: Exchange): Promise<void> {
  const decoded = decodeJsonBody(await ex.body());
  if (!decoded.ok) return ex.json(422, { detail: decoded.detail });
  const body = checkPasswordCredential(decoded.value);
  if (!body.ok) return ex.json(422, { detail: body.detail });
  const reply = core.auth.login(body.value.username, body.value.password);
  if (reply.status !== 200) return replyError(ex, reply);
  ex.json(200, reply.body, {
    "Set-Cookie": [
      cookie("access_token", reply.body.access_token, core.auth.accessLifetimeSeconds),
      cookie("refresh_token", reply.body.refresh_token, core.auth.refreshLifetimeSeconds),
    ],
  });
}

/** `POST /api/auth/refresh` → `{access_token}` and the access cookie; the refresh token is kept. */
export async function refresh(core: SimCore, ex: Exchange): Promise<void> {
  const reply = core.auth.refresh(ex.credentials());
  if (reply.status !== 200) return replyError(ex, reply);
  ex.json(200, reply.body, {
    "Set-Cookie": cookie("access_token", reply.body.access_token, core.auth.accessLifetimeSeconds),
  });
}

/** `POST /api/auth/logout` → `null`; deletes the session and clears both cookies. */
export async function logout(core: SimCore, ex: Exchange): Promise<void> {
  const reply = core.auth.logout(ex.credentials());
  if (reply.status !== 200) return replyError(ex, reply);
  ex.json(200, null, {
    "Set-Cookie": [clearedCookie("access_token"), clearedCookie("refresh_token")],
  });
}
