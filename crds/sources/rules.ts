/**
 * Validation the API server does itself, from the CRD schema (CEL `x-kubernetes-validations`), so
 * the static rules hold when the admission webhook is down, and objects the operator writes are
 * checked although its own identity skips the webhook. Messages are the webhook's own wording
 * (capabilities/lib/admission/), so a person reads the same sentence whichever refused the object;
 * the API server prefixes each with the field path. Within a field the rules are ordered like the
 * webhook's checks and each one applies only when the ones before it passed, so one mistake gives one
 * message. What needs code stays in the webhook: parsing the manifest, calendar dates, the change of
 * destination cluster on update, host names in every IDNA spelling.
 *
 * CEL strings below are raw (r'…'), so regular expressions are written as RE2 reads them.
 */
import { KNOWN_SCHEMES } from "../../capabilities/lib/admission/url";
import type { Schema } from "./schema-helpers";

export interface ValidationRule {
  rule: string;
  message?: string;
  messageExpression?: string;
  fieldPath?: string;
  reason?: string;
}

/** One check of an ordered list: `ok` is a CEL condition on `self`, true when the value is fine. */
interface Check {
  ok: string;
  message?: string;
  messageExpression?: string;
}

/**
 * Rules that apply in order: each one only when every earlier check passed (and `when` holds), so a
 * value gets the message of its first problem only, as from the webhook.
 */
export function ordered(checks: Check[], when?: string, fieldPath?: string): ValidationRule[] {
  return checks.map((c, i) => {
    const before = checks.slice(0, i).map(p => `(${p.ok})`);
    const guards = [...(when ? [`(${when})`] : []), ...before];
    const rule = guards.length ? `!(${guards.join(" && ")}) || (${c.ok})` : c.ok;
    return {
      rule,
      ...(c.message !== undefined ? { message: c.message } : {}),
      ...(c.messageExpression !== undefined ? { messageExpression: c.messageExpression } : {}),
      ...(fieldPath ? { fieldPath } : {}),
    };
  });
}

/** Adds rules (and other schema keywords, e.g. maxLength) to a field's schema. */
export function validated(schema: Schema, rules: ValidationRule[], extra: Schema = {}): Schema {
  const existing = (schema["x-kubernetes-validations"] as ValidationRule[] | undefined) ?? [];
  return { ...schema, ...extra, "x-kubernetes-validations": [...existing, ...rules] };
}

/** A CEL string literal holding `text` (for messages and comparisons). */
export const celString = (text: string): string =>
  `'${text.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;

const SCHEME = String.raw`^[a-zA-Z][a-zA-Z0-9+.\-]*://`;
const LABEL = String.raw`[\p{L}\p{N}]([\p{L}\p{N}\-]*[\p{L}\p{N}])?`;
const HOST = String.raw`(\[[0-9a-fA-F:.]+\]|${LABEL}(\.${LABEL})*\.?)`;

/** URLs are at most this long (CEL needs a bound to price its rules; no real URL comes close). */
export const MAX_URL_LENGTH = 2048;

/**
 * The webhook's http(s) base URL rules (capabilities/lib/admission/url.ts) on the value `v` (a CEL
 * expression). They are meant for the object holding the URL, with a fieldPath naming the URL: the
 * API server then shows "object" as the invalid value, never the URL, which may carry a password.
 */
export function httpUrlChecks(example: string, credentialsGoTo: string, v: string): Check[] {
  const eg = `e.g. "${example}"`;
  const scheme = `${v}.split('://')[0].lowerAscii()`;
  return [
    { ok: `${v}.trim() != ''`, message: `is empty: give an absolute http(s) URL, ${eg}` },
    { ok: `${v}.trim() == ${v}`, message: "has spaces at the start or end: remove them" },
    {
      ok: String.raw`!${v}.matches(r'[\s\p{Cc}]')`,
      message: "contains spaces or control characters: remove them (percent-encode them in a path)",
    },
    {
      ok: `${v}.matches(r'${SCHEME}')`,
      message: `must be an absolute URL starting with http:// or https://, ${eg}`,
    },
    {
      ok: `${v}.matches(r'^[hH][tT][tT][pP][sS]?://')`,
      // Only a well-known scheme is named: whatever stands before "://" might be a password.
      messageExpression:
        `'must use http or https' + (${scheme} in [${KNOWN_SCHEMES.map(s => `'${s}'`).join(", ")}] ? ', not ' + ${scheme} : '') + ` +
        celString(`: ${eg}`),
    },
    {
      ok: String.raw`!${v}.matches(r'${SCHEME}[^/?#\\]*@')`,
      message: `must not contain credentials (user:password@): they would show in logs and status, put them in ${credentialsGoTo}`,
    },
    { ok: String.raw`!${v}.matches(r'${SCHEME}([/?#\\]|$)')`, message: `has no host, ${eg}` },
    {
      ok: String.raw`!${v}.contains('\\')`,
      message: 'must not contain "\\": separate path segments with "/"',
    },
    {
      ok: `!${v}.contains('?') && !${v}.contains('#')`,
      message: `must not have a query string (?…) or fragment (#…): give the base URL only, ${eg}`,
    },
    {
      ok: `${v}.matches(r'${SCHEME}${HOST}(:[0-9]{1,5})?(/.*)?$')`,
      message: `has an invalid host or port: use a DNS name (letters, digits, "-" and ".") or an IP address, and a port from 1 to 65535, ${eg}`,
    },
    {
      ok: `!${v}.matches(r'${SCHEME}[^/]*:0+(/.*)?$')`,
      message: "has port 0: give the server's port (1-65535), or none for the scheme's default",
    },
  ];
}

/** Go's time.ParseDuration syntax: an optional sign, then number+unit pairs, or a bare "0". */
const GO_DURATION = String.raw`^[-+]?(0|(([0-9]+(\.[0-9]*)?|\.[0-9]+)(ns|us|µs|μs|ms|s|m|h))+)$`;
const DURATION_SYNTAX =
  'use Go duration syntax such as "30s", "5m" or "1h30m" (units ns, us, ms, s, m, h), or "0" to disable';

/**
 * The webhook's interval rules (capabilities/lib/admission/interval.ts): a Go duration, not
 * negative, and if not 0 at least 1 s. `consequence` completes "…shorter than 1s: <consequence>
 * more than once a second".
 */
export function intervalRules(consequence: string): ValidationRule[] {
  const shown = `'"' + self + '"'`;
  return ordered([
    {
      ok: `self.matches(r'${GO_DURATION}')`,
      messageExpression:
        `${shown} + ' is not a valid duration (' + (self.matches(r'^[-+]?[0-9.]+d') ? ` +
        `'unknown unit "d" (days are not a Go unit: use hours, e.g. 48h)' : 'not Go duration syntax') + '): ' + ` +
        celString(DURATION_SYNTAX),
    },
    {
      ok: "duration(self) >= duration('0s')",
      messageExpression: `${shown} + ' is negative: use a positive duration such as "5m", or "0" to disable'`,
    },
    {
      ok: "duration(self) == duration('0s') || duration(self) >= duration('1s')",
      messageExpression:
        `${shown} + ` +
        celString(
          ` is shorter than 1s: ${consequence} more than once a second, which is almost certainly a unit slip. ` +
            'Use at least "1s" (e.g. "30s" or "5m"), or "0" to disable',
        ),
    },
  ]);
}

const DNS1123_LABEL = String.raw`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`;
const DNS1123_SUBDOMAIN = String.raw`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`;

/** A Secret (or other object) name: a DNS-1123 subdomain. */
export const subdomainRules: ValidationRule[] = [
  {
    rule: `self.matches(r'${DNS1123_SUBDOMAIN}')`,
    messageExpression: `'"' + self + '" is not a valid DNS-1123 subdomain (lowercase letters, digits, "-" and ".", starting and ending with a letter or digit)'`,
  },
];

/** A namespace name: a DNS-1123 label (an empty value is left to `when`). */
export function labelRules(when?: string): ValidationRule[] {
  return ordered(
    [
      {
        ok: `self.matches(r'${DNS1123_LABEL}')`,
        messageExpression: `'"' + self + '" is not a valid DNS-1123 label (lowercase letters, digits and "-", starting and ending with a letter or digit)'`,
      },
    ],
    when,
  );
}

/** A Secret data key (apimachinery's IsConfigMapKey). */
export const secretKeyRules: ValidationRule[] = ordered([
  {
    ok: "self != ''",
    message: "is empty: name a data key of the Secret, or remove the field to use the default",
  },
  {
    ok: String.raw`self.matches(r'^[-._a-zA-Z0-9]+$')`,
    messageExpression: `'"' + self + '" is not a valid Secret data key (letters, digits, "-", "_" and "." only)'`,
  },
  {
    ok: "self != '.' && !self.startsWith('..')",
    messageExpression: `'"' + self + '" is not a valid Secret data key (it must not be "." or start with "..")'`,
  },
]);

/** Names compared verbatim with Infrahub's: blank or padded values never match anything. */
export function infrahubNameRules(what: string, when?: string): ValidationRule[] {
  return ordered(
    [
      { ok: "self.trim() != ''", message: `is blank: give ${what}` },
      {
        ok: "self.trim() == self",
        message:
          "has spaces at the start or end, so it would match nothing in Infrahub: remove them",
      },
    ],
    when,
  );
}

/** Relative forms and RFC3339 of target-date.ts (whether the day exists is left to the webhook). */
const TARGET_DATE = String.raw`^([a-zA-Z]+[-+][0-9]+[smhdw]?|[-+][0-9]+[smhdw]|[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?([Zz]|[-+][0-9]{2}:[0-9]{2}))$`;

export const targetDateRules: ValidationRule[] = ordered(
  [
    {
      ok: "self.trim() != ''",
      message:
        'is blank: remove it (or set "") to read the latest artifacts, or give a time such as "now-2h"',
    },
    {
      ok: `self.matches(r'${TARGET_DATE}')`,
      messageExpression:
        `'"' + self + '" is not valid (unrecognised format): ' + ` +
        celString(
          "use an RFC3339 timestamp such as 2025-01-01T00:00:00Z (UTC offsets like +02:00 and fractional " +
            "seconds are allowed), a relative time such as now-2h, now-30m, now-45s, now-3d or now-1w, " +
            "or the short form -2d (units s, m, h, d, w)",
        ),
    },
  ],
  // "" means the latest, as in Vidra.
  "self != ''",
);

/** Vidra treats an empty server and the in-cluster service URL as "this cluster" (CEL on a destination). */
export const LOCAL_SERVER =
  "(!has(self.server) || self.server == '' || self.server == 'https://kubernetes.default.svc' || self.server == 'https://kubernetes.default.svc:443')";

/**
 * The destination server's rules (capabilities/lib/admission/destination.ts), for the destination
 * object (see httpUrlChecks for why not on the field); "" or no server is the local cluster.
 */
export function serverRules(): ValidationRule[] {
  const v = "self.server";
  const url = httpUrlChecks(
    "https://api.cluster.example.com:6443",
    "the kubeconfig Secret referenced by kubeconfigSecretRef",
    v,
  ).slice(1);
  return ordered(
    [
      {
        ok: `${v}.trim() != ''`,
        message:
          "is blank: leave it empty for the local cluster, or give the remote API server's URL",
      },
      ...url,
      {
        ok:
          String.raw`!${v}.matches(r'(?i)^https?://kubernetes(\.default(\.svc(\.cluster\.local)?)?)?\.?(:[0-9]*)?([/?#].*)?$')` +
          ` || ${v} == 'https://kubernetes.default.svc' || ${v} == 'https://kubernetes.default.svc:443'`,
        message:
          'names this cluster\'s own API service, but only an empty server or exactly "https://kubernetes.default.svc" ' +
          "means the local cluster (any other spelling is treated as a remote cluster that needs a kubeconfig Secret): " +
          "write it that way or leave server empty",
      },
    ],
    `has(${v}) && ${v} != ''`,
    ".server",
  );
}
