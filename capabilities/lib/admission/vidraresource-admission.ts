import { asRecord, checkDestination, checkDestinationUnchanged, checkDuration, Problems } from "./shared-checks";

/** etcd refuses objects over 1.5 MiB; say so before the API server does, in words. */
export const MAX_MANIFEST_BYTES = 1_400_000;

/** Admission rules for VidraResource. The manifest's content is checked by the reconciler, which reports it. */
export function vidraResourceProblems(obj: unknown, old?: unknown): string[] {
  const p = new Problems();
  const spec = asRecord(asRecord(obj)?.spec);
  const manifest = spec?.manifest;
  if (typeof manifest === "string" && Buffer.byteLength(manifest, "utf8") > MAX_MANIFEST_BYTES) {
    p.add("spec.manifest", `is ${Buffer.byteLength(manifest, "utf8")} bytes, over the ${MAX_MANIFEST_BYTES}-byte limit`);
  }
  checkDestination(p, "spec.destination", spec?.destination);
  checkDuration(p, "spec.reapplyInterval", spec?.reapplyInterval);
  if (old !== undefined) {
    checkDestinationUnchanged(p, "spec.destination", asRecord(asRecord(old)?.spec)?.destination, spec?.destination);
  }
  return p.items;
}
