import { createHash } from "node:crypto";
import { OperatorError } from "../errors";

/**
 * The shard an InfrahubSync or VidraResource belongs to (Flux's `sharding.fluxcd.io/key`, in this
 * project's group). A sync copies its own value onto the VidraResources it creates, so they follow
 * it; a VidraResource made by hand is placed by its own label.
 */
export const SHARD_LABEL = "sharding.infrahub.operators.com/key";

/** A shard setting that cannot work. Not retryable: the watcher's environment must change. */
export class ShardConfigError extends OperatorError {
  constructor(message: string) {
    super(message, { reason: "InvalidShardConfig", retryable: false });
  }
}

const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

type Labels = Record<string, string> | undefined;

/**
 * Which objects one watcher reconciles: those whose shard label is one of `keys`, and, when
 * `unlabelled`, those without the label. Unsharded, it owns everything.
 */
export class ShardSelector {
  readonly keys: ReadonlySet<string>;

  constructor(
    keys: Iterable<string>,
    readonly unlabelled: boolean,
    readonly sharded = true,
  ) {
    this.keys = new Set(keys);
  }

  /** Sharding off: this watcher owns every object, labelled or not. */
  static everything(): ShardSelector {
    return new ShardSelector([], true, false);
  }

  owns(labels: Labels): boolean {
    if (!this.sharded) return true;
    const key = labels?.[SHARD_LABEL];
    // An empty value counts as unlabelled, as `kubectl label … key=` would leave it.
    if (key === undefined || key === "") return this.unlabelled;
    return this.keys.has(key);
  }

  /** For logs: `keys a, b and unlabelled objects`. */
  describe(): string {
    if (!this.sharded) return "every object (sharding off)";
    if (this.keys.size === 0) return "unlabelled objects only";
    const keys = [...this.keys].sort().join(", ");
    return `shard keys ${keys}${this.unlabelled ? " and unlabelled objects" : ""}`;
  }

  /**
   * The Lease name of this shard's election: each shard elects its own leader. Readable when the
   * keys allow it, with a digest when they had to be changed to fit a Lease name.
   */
  leaseName(base: string): string {
    if (!this.sharded) return base;
    const parts = [...[...this.keys].sort(), ...(this.unlabelled ? ["unlabelled"] : [])];
    const canonical = parts.join(",");
    const readable = `${base}-${parts.join("-")}`
      .toLowerCase()
      .replace(/[^a-z0-9.-]+/g, "-")
      .replace(/-+/g, "-")
      .replace(/[^a-z0-9]+$/, "");
    const exact = readable === `${base}-${parts.join("-")}`;
    if (exact && readable.length <= 63) return readable;
    const digest = createHash("sha256").update(canonical).digest("hex").slice(0, 10);
    return `${readable.slice(0, 52).replace(/[^a-z0-9]+$/, "")}-${digest}`;
  }
}

function truthy(v: string | undefined, name: string): boolean | undefined {
  if (v === undefined || v.trim() === "") return undefined;
  if (/^(true|1|yes|on)$/i.test(v.trim())) return true;
  if (/^(false|0|no|off)$/i.test(v.trim())) return false;
  throw new ShardConfigError(`${name} must be true or false, got ${JSON.stringify(v)}`);
}

/**
 * VIDRA_SHARD_KEYS ("a,b": the label values this watcher owns) and VIDRA_SHARD_UNLABELLED
 * (whether it owns objects without the label; default false). Sharding is off, and the watcher
 * owns everything, when neither is set; VIDRA_SHARD_UNLABELLED=true alone makes the watcher that
 * owns only the unlabelled objects (Flux's `--watch-label-selector='!sharding.fluxcd.io/key'`).
 * Exactly one watcher of a sharded fleet should own the unlabelled.
 */
export function shardFromEnv(env: NodeJS.ProcessEnv = process.env): ShardSelector {
  const keys = (env.VIDRA_SHARD_KEYS ?? "")
    .split(",")
    .map(k => k.trim())
    .filter(Boolean);
  for (const k of keys)
    if (k.length > 63 || !LABEL_VALUE.test(k))
      throw new ShardConfigError(
        `VIDRA_SHARD_KEYS: ${JSON.stringify(k)} is not a label value (up to 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit)`,
      );
  const unlabelled = truthy(env.VIDRA_SHARD_UNLABELLED, "VIDRA_SHARD_UNLABELLED");
  if (keys.length === 0) {
    if (unlabelled === undefined) return ShardSelector.everything();
    if (!unlabelled)
      throw new ShardConfigError(
        "VIDRA_SHARD_UNLABELLED=false without VIDRA_SHARD_KEYS would reconcile nothing; set the keys this watcher owns",
      );
  }
  return new ShardSelector(keys, unlabelled ?? false);
}
