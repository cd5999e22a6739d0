import { applyPolicyProperties } from "./apply-policy";
import {
  httpUrlChecks,
  infrahubNameRules,
  MAX_URL_LENGTH,
  ordered,
  targetDateRules,
  validated,
  type ValidationRule,
} from "./rules";
import { destinationSchema } from "./destination";
import {
  arr,
  bool,
  conditionsField,
  dateTime,
  durationField,
  int,
  obj,
  secretDataKeyField,
  secretKeyRef,
  secretNameField,
  secretNamespaceField,
  str,
  vidraStates,
  type Schema,
  operatorCrd,
} from "./schema-helpers";

const URL_EXAMPLE = "https://infrahub.example.com";
const discoveryOf = "(has(self.discovery) ? self.discovery : 'StoredQuery')";
const keyOf = (field: string, fallback: string) =>
  `(has(self.${field}) && self.${field} != '' ? self.${field} : '${fallback}')`;

/** Two roles reading one data key: the password would be sent as the user name, or as a token. */
const sameKeyRules: ValidationRule[] = (
  [
    ["usernameKey", "username", "passwordKey", "password"],
    ["usernameKey", "username", "tokenKey", "token"],
    ["passwordKey", "password", "tokenKey", "token"],
  ] as const
).map(([a, da, b, db]) => ({
  rule: `${keyOf(a, da)} != ${keyOf(b, db)}`,
  messageExpression: `'${a} and ${b} both name the data key "' + ${keyOf(a, da)} + '": each must name a key of its own'`,
}));

const source: Schema = validated(
  obj(
    "Where the artifacts come from.",
    {
      infrahubAPIURL: str(`Base URL of the Infrahub server, e.g. "${URL_EXAMPLE}".`, {
        minLength: 1,
        maxLength: MAX_URL_LENGTH,
      }),
      targetBranch: validated(
        str("Infrahub branch to read the artifacts from.", { minLength: 1, default: "main" }),
        ordered([
          {
            ok: "self.trim() != ''",
            message: 'is empty: name the Infrahub branch to read, e.g. "main"',
          },
          {
            ok: String.raw`!self.matches(r'[\s\p{Cc}]')`,
            messageExpression: `'"' + self + '" contains spaces or control characters, which Infrahub branch names never have: remove them'`,
          },
        ]),
        { maxLength: 1024 },
      ),
      targetDate: validated(
        str(
          'Read the artifacts as they were at this time: RFC3339 ("2025-01-01T00:00:00Z") or relative to now ' +
            '("now-2h", "now-30m", "-2d"). Empty means the latest.',
        ),
        targetDateRules,
        { maxLength: 64 },
      ),
      artefactName: validated(
        str("Name of the artifacts to sync (the artifact definition's artifact_name).", {
          minLength: 1,
        }),
        infrahubNameRules(
          'the artifact name to sync (the artifact definition\'s artifact_name, e.g. "Webserver_Manifest")',
        ),
        { maxLength: 1024 },
      ),
      discovery: str(
        "How artifacts are found: StoredQuery (Vidra's way: the stored query named by queryName, called with " +
          "the variable artifactname) or GraphQL (a direct CoreArtifact query with name, definition and target filters).",
        { enum: ["StoredQuery", "GraphQL"], default: "StoredQuery" },
      ),
      queryName: validated(
        str(
          'Stored query used when discovery is StoredQuery. When unset, the operator ConfigMap key queryName applies, else "ArtifactIDs".',
        ),
        [
          {
            // Infrahub stores any text as a query name; refuse only what cannot be a path segment.
            rule: String.raw`self == '' || !self.matches(r'[\s\p{Cc}/]')`,
            messageExpression:
              `'"' + self + '" contains spaces, control characters or "/", which no stored query name used in ' + ` +
              `'/api/query/<name> can have: give the name of the stored query (e.g. "ArtifactIDs"), or remove it to use the operator\\'s default'`,
          },
        ],
        { maxLength: 1024 },
      ),
      definitionName: validated(
        str("GraphQL discovery only: keep only artifacts of this artifact definition (its name)."),
        infrahubNameRules("the artifact definition's name, or remove the field", "self != ''"),
        { maxLength: 1024 },
      ),
      targetIds: arr(
        "GraphQL discovery only: keep only artifacts rendered for these target object ids.",
        validated(
          str("A target id."),
          ordered([
            {
              ok: "self.trim() != ''",
              message: "is empty: give the id of a target object in Infrahub, or remove the entry",
            },
            {
              ok: "self.trim() == self",
              message: "has spaces at the start or end, so it would match no target: remove them",
            },
          ]),
          { maxLength: 256 },
        ),
        { maxItems: 100 },
      ),
      credentialsSecretRef: validated(
        obj(
          "Secret with the Infrahub credentials: username and password, or an API token. When unset, a Secret " +
            "labelled infrahub-api-url=<host> is looked up, as Vidra does; with neither, requests are anonymous.",
          {
            name: secretNameField,
            namespace: secretNamespaceField("Namespace of the Secret."),
            usernameKey: secretDataKeyField('Data key of the username. Default "username".'),
            passwordKey: secretDataKeyField('Data key of the password. Default "password".'),
            tokenKey: secretDataKeyField(
              'Data key of an API token (sent as X-INFRAHUB-KEY). Default "token"; used when present.',
            ),
          },
          { required: ["name", "namespace"] },
        ),
        sameKeyRules,
      ),
      tls: validated(
        obj("TLS settings for an https Infrahub URL.", {
          caSecretRef: secretKeyRef(
            "Secret with a PEM CA bundle that signs the Infrahub server certificate.",
            "ca.crt",
          ),
          insecureSkipVerify: bool(
            "Do not verify the server certificate. Only for tests; never in production.",
            {
              default: false,
            },
          ),
        }),
        [
          {
            rule: "!has(self.caSecretRef) || !has(self.insecureSkipVerify) || !self.insecureSkipVerify",
            message:
              "sets both caSecretRef and insecureSkipVerify: true, which contradict each other: keep caSecretRef " +
              "(verify against that CA) or insecureSkipVerify (no verification), not both",
          },
        ],
      ),
    },
    { required: ["infrahubAPIURL", "targetBranch", "artefactName"] },
  ),
  [
    ...ordered(
      httpUrlChecks(
        URL_EXAMPLE,
        "a Secret referenced by spec.source.credentialsSecretRef",
        "self.infrahubAPIURL",
      ),
      "has(self.infrahubAPIURL)",
      ".infrahubAPIURL",
    ),
    {
      rule:
        "!has(self.tls) || !has(self.infrahubAPIURL) || !self.infrahubAPIURL.lowerAscii().startsWith('http://') || " +
        "(!has(self.tls.caSecretRef) && !(has(self.tls.insecureSkipVerify) && self.tls.insecureSkipVerify))",
      fieldPath: ".tls",
      message: "has no effect with an http:// infrahubAPIURL: use an https:// URL, or remove tls",
    },
    {
      rule: `!has(self.queryName) || self.queryName == '' || ${discoveryOf} == 'StoredQuery'`,
      fieldPath: ".queryName",
      messageExpression: `'only applies with discovery: StoredQuery (discovery is ' + ${discoveryOf} + '): remove it, or set discovery: StoredQuery'`,
    },
    {
      rule: `!has(self.definitionName) || self.definitionName == '' || ${discoveryOf} == 'GraphQL'`,
      fieldPath: ".definitionName",
      messageExpression: `'only applies with discovery: GraphQL (discovery is ' + ${discoveryOf} + '): set discovery: GraphQL to filter this way, or remove the field'`,
    },
    {
      rule: `!has(self.targetIds) || size(self.targetIds) == 0 || ${discoveryOf} == 'GraphQL'`,
      fieldPath: ".targetIds",
      messageExpression: `'only apply with discovery: GraphQL (discovery is ' + ${discoveryOf} + '): set discovery: GraphQL to filter this way, or remove the field'`,
    },
  ],
);

const artifactStatus: Schema = obj("One artifact found in Infrahub on the last fetch.", {
  id: str("Artifact id (also the name of its VidraResource)."),
  name: str("Artifact name."),
  target: str("Display label of the target object the artifact was rendered for."),
  targetId: str("Id of the target object."),
  checksum: str("md5 checksum of the content last applied."),
  storageId: str("Storage id of the content last applied."),
  status: str("Artifact status in Infrahub (Ready, Pending, Processing, Error)."),
  vidraResource: str("Name of the VidraResource that holds this artifact."),
  message: str("Why the artifact was not applied, when it was not."),
});

export const infrahubSyncCrd = operatorCrd({
  kind: "InfrahubSync",
  shortNames: ["ihs", "isync"],
  columns: {
    lead: [
      { name: "Branch", type: "string", jsonPath: ".spec.source.targetBranch" },
      { name: "Artifact", type: "string", jsonPath: ".spec.source.artefactName" },
      { name: "State", type: "string", jsonPath: ".status.syncState" },
    ],
    middle: [{ name: "Artifacts", type: "integer", jsonPath: ".status.artifactCount" }],
  },
  description:
    "InfrahubSync fetches the artifacts an Infrahub branch renders and keeps one VidraResource per artifact.",
  rules: [
    {
      // Every VidraResource of the sync carries its name in a label value (at most 63 characters).
      rule: "size(self.metadata.name) <= 63",
      message:
        "metadata.name is longer than 63 characters: every VidraResource of this sync is labelled with its name " +
        "(infrahub.operators.com/sync) and label values hold at most 63 characters, so choose a shorter name",
    },
  ],
  spec: obj(
    "What to sync and how.",
    {
      source,
      destination: destinationSchema,
      pollInterval: durationField(
        "How often Infrahub is asked for new artifact versions",
        'the operator ConfigMap key requeueSyncAfter applies, else "1m"',
        "Infrahub would be asked for artifacts",
      ),
      ...applyPolicyProperties,
    },
    { required: ["source"] },
  ),
  status: obj("What the operator last saw and did.", {
    syncState: str("Vidra's state of the last sync.", { enum: vidraStates }),
    lastError: str("The last error, empty after a successful sync."),
    lastSyncTime: dateTime("When the last sync finished."),
    checksums: arr(
      "Checksums of the artifacts last applied (Vidra's field, now written).",
      str("An md5 checksum."),
    ),
    conditions: conditionsField,
    observedGeneration: int("The .metadata.generation the status describes.", {
      format: "int64",
    }),
    artifacts: arr("The artifacts found on the last successful fetch.", artifactStatus),
    artifactCount: int("How many artifacts the last successful fetch found."),
    nextSyncTime: dateTime(
      "After a failed sync: when Infrahub will be asked again. (Successful polls that find nothing new write no status.)",
    ),
    lastHandledSyncRequest: str("Value of the sync-now annotation last acted on."),
    lastSyncTrigger: str(
      "What started the sync that last changed something: Webhook (an Infrahub webhook event), Poll (the poll " +
        "interval), SyncNow (the sync-now annotation), Spec (a new or changed spec, or the operator's start) or Retry " +
        "(after a failure).",
      { enum: ["Webhook", "Poll", "SyncNow", "Spec", "Retry"] },
    ),
    lastWebhook: obj(
      "The last Infrahub webhook event that made this sync fetch, and what that fetch did.",
      {
        eventId: str("Infrahub's event id (the body's id; the same on every delivery attempt)."),
        event: str("Event type, e.g. infrahub.artifact.updated."),
        artifactId: str("The artifact the event named."),
        receivedAt: dateTime("When the operator accepted the event."),
        fetchedAt: dateTime("When the fetch it triggered finished."),
        result: str(
          "What the fetch did: Changed (new content stored), Unchanged (nothing new, e.g. a poll got there first) or Failed.",
          { enum: ["Changed", "Unchanged", "Failed"] },
        ),
        coalesced: int("How many events that one fetch answered (a burst is fetched once)."),
      },
    ),
  }),
});
