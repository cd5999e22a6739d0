import type { VidraResourceObject } from "../sync/resources";

/** A VidraResource without its manifest and inventory (the bulk of it). */
export function withoutContent(vr: VidraResourceObject): VidraResourceObject {
  const { manifest: _manifest, ...spec } = vr.spec ?? {};
  const { managedResources: _managed, ...status } = vr.status ?? {};
  return { ...vr, ...(vr.spec ? { spec } : {}), ...(vr.status ? { status } : {}) };
}
