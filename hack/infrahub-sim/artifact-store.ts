import { createHash, randomUUID } from "node:crypto";
import { formatMicros, type MicroClock } from "./clock";
import {
  Catalog,
  DEFAULT_CONTENT_TYPE,
  compare,
  type DefinitionRecord,
  type TargetRecord,
} from "./catalog";
import { SimError } from "./sim-error";
import { ARTIFACT_STATUSES, type ArtifactInput, type ArtifactStatus } from "./types";

export type { DefinitionRecord, TargetRecord } from "./catalog";

/** Ids of an artifact's attribute objects: in Infrahub every attribute is a node with its own uuid. */
export type ArtifactAttr =
  | "name"
  | "status"
  | "content_type"
  | "checksum"
  | "storage_id"
  | "parameters";
const ARTIFACT_ATTRS: readonly ArtifactAttr[] = [
  "name",
  "status",
  "content_type",
  "checksum",
  "storage_id",
  "parameters",
];

/** One version of an artifact on one branch. Never mutated once committed. */
export interface ArtifactState {
  readonly id: string;
  readonly name: string;
  readonly definitionId: string;
  readonly targetId: string;
  readonly status: ArtifactStatus;
  readonly contentType: string;
  readonly checksum: string | null;
  readonly storageId: string | null;
  /** Microseconds; when this version was committed. */
  readonly updatedAt: number;
  readonly attrIds: Readonly<Record<ArtifactAttr, string>>;
  /** Microseconds; when each attribute's value last changed. */
  readonly attrTimes: Readonly<Record<ArtifactAttr, number>>;
}

interface Version {
  at: number;
  state: ArtifactState | null;
}

interface BranchData {
  readonly id: string;
  /** µs; when the branch was created (main: when the store was). */
  readonly createdAt: number;
  /** The branch it was created from (main for main). */
  readonly origin: string;
  readonly description: string;
  readonly syncWithGit: boolean;
  history: Map<string, Version[]>;
  /** Current artifact id per `definitionId \0 targetId`, so upserts need no scan. */
  byDefTarget: Map<string, string>;
  /** Current artifacts sorted by name then id; rebuilt lazily after a change. */
  sorted: ArtifactState[] | null;
}

/** The default branch; it always exists. */
export const MAIN_BRANCH = "main";

/** A branch as the GraphQL `Branch` query shows it. */
export interface BranchInfo {
  id: string;
  name: string;
  origin: string;
  /** µs */
  createdAt: number;
  isDefault: boolean;
  description: string;
  syncWithGit: boolean;
}

/**
 * Branch-local artifacts with full history, plus the global object store and (through
 * `catalog`) the global definitions and targets.
 */
export class ArtifactStore {
  readonly catalog: Catalog;
  private readonly storage = new Map<string, string>();
  private readonly branches: Map<string, BranchData>;

  constructor(private readonly clock: MicroClock) {
    this.catalog = new Catalog(clock);
    this.branches = new Map([
      [
        MAIN_BRANCH,
        this.newBranch(new Map(), new Map(), MAIN_BRANCH, {
          description: "Default Branch",
          syncWithGit: true,
        }),
      ],
    ]);
  }

  /** Branches in creation order (main first). */
  branchInfos(): BranchInfo[] {
    return [...this.branches].map(([name, b]) => ({
      id: b.id,
      name,
      origin: b.origin,
      createdAt: b.createdAt,
      isDefault: name === MAIN_BRANCH,
      description: b.description,
      syncWithGit: b.syncWithGit,
    }));
  }

  /**
   * Infrahub's `BranchQueryTimeValidator`: an instant before the creation of the branch (main)
   * or of its origin (any other branch) cannot be read. Returns the error message, or undefined.
   */
  timeTooEarly(branchName: string, at: number): string | undefined {
    const branch = this.branch(branchName);
    const boundaryName = branchName === MAIN_BRANCH ? MAIN_BRANCH : branch.origin;
    const boundary = this.branches.get(boundaryName) ?? branch;
    if (at >= boundary.createdAt) return undefined;
    return `Requested time '${formatMicros(at)}' is before branch '${boundaryName}' was created at '${formatMicros(boundary.createdAt)}'.`;
  }

  private newBranch(
    history: Map<string, Version[]>,
    byDefTarget: Map<string, string>,
    origin: string,
    opts: { description?: string; syncWithGit?: boolean },
  ): BranchData {
    return {
      id: randomUUID(),
      createdAt: this.clock.now(),
      origin,
      description: opts.description ?? "",
      syncWithGit: opts.syncWithGit ?? false,
      history,
      byDefTarget,
      sorted: null,
    };
  }

  /** Target kinds seen so far (the schema has one object type per kind). */
  get kinds(): ReadonlySet<string> {
    return this.catalog.kinds;
  }

  get kindsVersion(): number {
    return this.catalog.kindsVersion;
  }

  definition(idOrName: string): DefinitionRecord | undefined {
    return this.catalog.definition(idOrName);
  }

  target(id: string): TargetRecord | undefined {
    return this.catalog.target(id);
  }

  branchNames(): string[] {
    return [...this.branches.keys()];
  }

  hasBranch(name: string): boolean {
    return this.branches.has(name);
  }

  /** Copies `from`'s artifacts, history included, so `?at=` before the branch point shows `from`'s past. */
  createBranch(
    name: string,
    from: string = MAIN_BRANCH,
    opts: { description?: string; syncWithGit?: boolean } = {},
  ): void {
    if (!name || typeof name !== "string") throw new SimError("a branch needs a non-empty name");
    if (this.branches.has(name)) throw new SimError(`branch "${name}" already exists`, 409);
    const source = this.branch(from);
    const history = new Map<string, Version[]>();
    for (const [id, versions] of source.history) history.set(id, versions.slice());
    this.branches.set(name, this.newBranch(history, new Map(source.byDefTarget), from, opts));
  }

  deleteBranch(name: string): void {
    if (name === MAIN_BRANCH) throw new SimError("the default branch main cannot be deleted");
    this.branch(name);
    this.branches.delete(name);
  }

  /** Creates or updates the artifact matched by id, else by definition + target. */
  upsertArtifact(branchName: string, input: ArtifactInput): ArtifactState {
    const branch = this.branch(branchName);
    if (!input || typeof input.definition !== "string")
      throw new SimError("an artifact needs a definition name");
    const def = this.definition(input.definition);
    if (!def) throw new SimError(`unknown artifact definition "${input.definition}"`, 404);
    if (input.status !== undefined) assertStatus(input.status);
    if (input.content !== undefined && typeof input.content !== "string")
      throw new SimError("content must be a string");
    const target = this.catalog.resolveTarget(input.target);
    const matchId = input.id ?? branch.byDefTarget.get(defTargetKey(def.id, target.id));
    const prev = matchId === undefined ? undefined : current(branch, matchId);
    let next: Mutable<ArtifactState> = {
      ...(prev ?? this.blankArtifact(input.id ?? randomUUID())),
      name: def.artifactName,
      definitionId: def.id,
      targetId: target.id,
      contentType: input.contentType ?? prev?.contentType ?? def.contentType,
    };
    if (input.content !== undefined) next = this.withContent(next, input.content);
    if (input.status !== undefined) next.status = input.status;
    return this.commit(branch, prev, next);
  }

  setContent(branchName: string, id: string, content: string): ArtifactState {
    if (typeof content !== "string") throw new SimError("content must be a string");
    const branch = this.branch(branchName);
    const prev = this.require(branch, branchName, id);
    return this.commit(branch, prev, this.withContent({ ...prev }, content));
  }

  setStatus(branchName: string, id: string, status: ArtifactStatus): ArtifactState {
    assertStatus(status);
    const branch = this.branch(branchName);
    const prev = this.require(branch, branchName, id);
    return this.commit(branch, prev, { ...prev, status });
  }

  deleteArtifact(branchName: string, id: string): void {
    const branch = this.branch(branchName);
    const prev = this.require(branch, branchName, id);
    branch.history.get(id)!.push({ at: this.clock.now(), state: null });
    unindex(branch, prev);
    branch.sorted = null;
  }

  /** Artifacts of a branch sorted by name then id, as they are now or as they were at `at` (µs). */
  list(branchName: string, at?: number): readonly ArtifactState[] {
    const branch = this.branch(branchName);
    if (at === undefined && branch.sorted) return branch.sorted;
    const out: ArtifactState[] = [];
    for (const versions of branch.history.values()) {
      const state = at === undefined ? versions[versions.length - 1].state : stateAt(versions, at);
      if (state) out.push(state);
    }
    out.sort((a, b) => compare(a.name, b.name) || compare(a.id, b.id));
    if (at === undefined) branch.sorted = out;
    return out;
  }

  get(branchName: string, id: string, at?: number): ArtifactState | undefined {
    const versions = this.branch(branchName).history.get(id);
    if (!versions) return undefined;
    return (
      (at === undefined ? versions[versions.length - 1].state : stateAt(versions, at)) ?? undefined
    );
  }

  /** The object store: global, not branch-aware, and old versions are never removed. */
  readContent(storageId: string): string | undefined {
    return this.storage.get(storageId);
  }

  private branch(name: string): BranchData {
    const branch = this.branches.get(name);
    if (!branch) throw new SimError(`Branch: ${name} not found.`, 404);
    return branch;
  }

  private require(branch: BranchData, branchName: string, id: string): ArtifactState {
    const state = current(branch, id);
    if (!state) throw new SimError(`no artifact ${id} on branch ${branchName}`, 404);
    return state;
  }

  private blankArtifact(id: string): Mutable<ArtifactState> {
    const attrIds = {} as Record<ArtifactAttr, string>;
    const attrTimes = {} as Record<ArtifactAttr, number>;
    for (const attr of ARTIFACT_ATTRS) {
      attrIds[attr] = randomUUID();
      attrTimes[attr] = 0;
    }
    return {
      id,
      name: "",
      definitionId: "",
      targetId: "",
      status: "Pending",
      contentType: DEFAULT_CONTENT_TYPE,
      checksum: null,
      storageId: null,
      updatedAt: 0,
      attrIds,
      attrTimes,
    };
  }

  /**
   * Like `render_artifact`: checksum = md5 of the UTF-8 content; the same content keeps the
   * storage_id, new content is a new upload with a new storage_id. A finished render is Ready.
   */
  private withContent(state: Mutable<ArtifactState>, content: string): Mutable<ArtifactState> {
    const checksum = createHash("md5").update(content, "utf8").digest("hex");
    if (checksum !== state.checksum || state.storageId === null) {
      state.storageId = randomUUID();
      this.storage.set(state.storageId, content);
    }
    state.checksum = checksum;
    state.status = "Ready";
    return state;
  }

  private commit(
    branch: BranchData,
    prev: ArtifactState | undefined,
    next: Mutable<ArtifactState>,
  ): ArtifactState {
    const values = (s: ArtifactState): Record<ArtifactAttr, unknown> => ({
      name: s.name,
      status: s.status,
      content_type: s.contentType,
      checksum: s.checksum,
      storage_id: s.storageId,
      parameters: null,
    });
    const before = prev ? values(prev) : undefined;
    const after = values(next);
    const changed = ARTIFACT_ATTRS.filter(a => !before || before[a] !== after[a]);
    const sameRelations =
      prev && prev.definitionId === next.definitionId && prev.targetId === next.targetId;
    if (prev && changed.length === 0 && sameRelations) return prev; // Infrahub leaves an unchanged artifact alone
    const at = this.clock.now();
    const attrTimes = { ...next.attrTimes };
    for (const attr of changed) attrTimes[attr] = at;
    const state: ArtifactState = Object.freeze({ ...next, updatedAt: at, attrTimes });
    const versions = branch.history.get(state.id);
    if (versions) versions.push({ at, state });
    else branch.history.set(state.id, [{ at, state }]);
    if (prev) unindex(branch, prev);
    branch.byDefTarget.set(defTargetKey(state.definitionId, state.targetId), state.id);
    branch.sorted = null;
    return state;
  }
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

function defTargetKey(definitionId: string, targetId: string): string {
  return `${definitionId}\u0000${targetId}`;
}

function unindex(branch: BranchData, state: ArtifactState): void {
  const key = defTargetKey(state.definitionId, state.targetId);
  if (branch.byDefTarget.get(key) === state.id) branch.byDefTarget.delete(key);
}

function current(branch: BranchData, id: string): ArtifactState | undefined {
  const versions = branch.history.get(id);
  return versions?.[versions.length - 1].state ?? undefined;
}

function stateAt(versions: Version[], at: number): ArtifactState | null {
  for (let i = versions.length - 1; i >= 0; i--) if (versions[i].at <= at) return versions[i].state;
  return null;
}

function assertStatus(status: unknown): asserts status is ArtifactStatus {
  if (!ARTIFACT_STATUSES.includes(status as ArtifactStatus)) {
    throw new SimError(
      `status must be one of ${ARTIFACT_STATUSES.join(", ")}, got ${JSON.stringify(status)}`,
    );
  }
}
