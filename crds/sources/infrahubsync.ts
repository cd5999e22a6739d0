import { applyPolicyProperties } from "./apply-policy";
import { destinationSchema } from "./destination";
import {
  arr,
  bool,
  conditionsField,
  dateTime,
  durationField,
  int,
  obj,
  secretKeyRef,
  str,
  vidraStates,
  type Schema,
  operatorCrd,
} from "./schema-helpers";

const source: Schema = obj(
  "Where the artifacts come from.",
  {
    infrahubAPIURL: str('Base URL of the Infrahub server, e.g. "https://infrahub.example.com".', {
      minLength: 1,
    }),
    targetBranch: str("Infrahub branch to read the artifacts from.", {
      minLength: 1,
      default: "main",
    }),
    targetDate: str(
      'Read the artifacts as they were at this time: RFC3339 ("2025-01-01T00:00:00Z") or relative to now ' +
        '("now-2h", "now-30m", "-2d"). Empty means the latest.',
    ),
    artefactName: str("Name of the artifacts to sync (the artifact definition's artifact_name).", {
      minLength: 1,
    }),
    discovery: str(
      "How artifacts are found: StoredQuery (Vidra's way: the stored query named by queryName, called with " +
        "the variable artifactname) or GraphQL (a direct CoreArtifact query with name, definition and target filters).",
      { enum: ["StoredQuery", "GraphQL"], default: "StoredQuery" },
    ),
    queryName: str(
      'Stored query used when discovery is StoredQuery. When unset, the operator ConfigMap key queryName applies, else "ArtifactIDs".',
    ),
    definitionName: str(
      "GraphQL discovery only: keep only artifacts of this artifact definition (its name).",
    ),
    targetIds: arr(
      "GraphQL discovery only: keep only artifacts rendered for these target object ids.",
      str("A target id."),
    ),
    credentialsSecretRef: obj(
      "Secret with the Infrahub credentials: username and password, or an API token. When unset, a Secret " +
        "labelled infrahub-api-url=<host> is looked up, as Vidra does; with neither, requests are anonymous.",
      {
        name: str("Name of the Secret.", { minLength: 1 }),
        namespace: str("Namespace of the Secret.", { minLength: 1 }),
        usernameKey: str('Data key of the username. Default "username".'),
        passwordKey: str('Data key of the password. Default "password".'),
        tokenKey: str(
          'Data key of an API token (sent as X-INFRAHUB-KEY). Default "token"; used when present.',
        ),
      },
      { required: ["name", "namespace"] },
    ),
    tls: obj("TLS settings for an https Infrahub URL.", {
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
  },
  { required: ["infrahubAPIURL", "targetBranch", "artefactName"] },
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
  spec: obj(
    "What to sync and how.",
    {
      source,
      destination: destinationSchema,
      pollInterval: durationField(
        "How often Infrahub is asked for new artifact versions",
        'the operator ConfigMap key requeueSyncAfter applies, else "1m"',
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
