import type { Descriptor } from './manifest.js';

const PROGRESS_INTERVAL_MS = 100;

/** A layer's step, as pulls and pushes report it. */
export interface LayerProgress<Status extends string> {
  reference: string;
  layer: string;
  status: Status;
  current: number;
  total: number;
}

/**
 * Reports each layer's steps; of the steps that count bytes (`counting`), which come per chunk,
 * passes on a few a second, and always the first and the last.
 */
export function layerProgress<Status extends string>(
  reference: string,
  onProgress: ((p: LayerProgress<Status>) => void) | undefined,
  counting: readonly NoInfer<Status>[],
): (layer: Descriptor, status: Status, current: number) => void {
  const last = new Map<string, number>();
  return (layer, status, current) => {
    if (!onProgress) return;
    if (counting.includes(status)) {
      const now = Date.now();
      const previous = last.get(layer.digest + status);
      if (previous !== undefined && now - previous < PROGRESS_INTERVAL_MS && current < layer.size) return;
      last.set(layer.digest + status, now);
    }
    onProgress({ reference, layer: layer.digest, status, current: Math.min(current, layer.size), total: layer.size });
  };
}
