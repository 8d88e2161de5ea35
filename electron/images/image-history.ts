import type { ImageStep } from '../../shared/images.js';
import type { OciConfig } from './manifest.js';

/**
 * The image's steps, oldest first: the config's history entries, each that made a layer paired
 * with the next layer in order. A config whose history does not match its layers (or has none)
 * gives one step per layer with the instruction unknown, rather than a wrong pairing.
 */
export function imageSteps(config: OciConfig, sizes: readonly number[], created: string): ImageStep[] {
  const layers = config.rootfs.diff_ids;
  const history = config.history ?? [];
  const making = history.filter((entry) => entry.empty_layer !== true).length;
  if (making !== layers.length) return layers.map((diffId, index) => ({ created, createdBy: '', comment: '', diffId, size: sizes[index] ?? 0 }));
  let next = 0;
  return history.map((entry) => {
    const index = entry.empty_layer === true ? -1 : next++;
    return {
      created: entry.created ?? created,
      createdBy: entry.created_by ?? '',
      comment: entry.comment ?? '',
      diffId: index < 0 ? '' : layers[index]!,
      size: index < 0 ? 0 : (sizes[index] ?? 0),
    };
  });
}
