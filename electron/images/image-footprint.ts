/**
 * An image on disk is a set of parts (blobs engine-side, unpacked layers host-side), some shared
 * with other images. These sums count each part once, as the disk does.
 */
export interface Footprints {
  /** Each image's parts, by image id. */
  partsOf: ReadonlyMap<string, readonly string[]>;
  bytes: ReadonlyMap<string, number>;
}

function sum(parts: Iterable<string>, bytes: ReadonlyMap<string, number>): number {
  let total = 0;
  for (const part of parts) total += bytes.get(part) ?? 0;
  return total;
}

function partsOfAll(footprints: Footprints, ids: Iterable<string>): Set<string> {
  const parts = new Set<string>();
  for (const id of ids) for (const part of footprints.partsOf.get(id) ?? []) parts.add(part);
  return parts;
}

/** An image's own bytes, and the part of them other images use too (Docker's Size and SharedSize). */
export function imageSize(footprints: Footprints, id: string): { size: number; sharedSize: number } {
  const others = partsOfAll(footprints, [...footprints.partsOf.keys()].filter((other) => other !== id));
  const own = new Set(footprints.partsOf.get(id));
  return { size: sum(own, footprints.bytes), sharedSize: sum([...own].filter((part) => others.has(part)), footprints.bytes) };
}

/** Bytes every image takes together. */
export function totalSize(footprints: Footprints): number {
  return sum(partsOfAll(footprints, footprints.partsOf.keys()), footprints.bytes);
}

/** Bytes removing `removed` frees: their parts no kept image (nor `held`) still needs. */
export function freedBytes(footprints: Footprints, removed: readonly string[], held: ReadonlySet<string> = new Set()): number {
  const gone = new Set(removed);
  const kept = partsOfAll(footprints, [...footprints.partsOf.keys()].filter((id) => !gone.has(id)));
  return sum([...partsOfAll(footprints, removed)].filter((part) => !kept.has(part) && !held.has(part)), footprints.bytes);
}
