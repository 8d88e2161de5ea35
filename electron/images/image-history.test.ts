import { describe, expect, it } from 'vitest';
import { imageSteps } from './image-history.js';
import type { OciConfig } from './manifest.js';

const A = `sha256:${'a'.repeat(64)}`;
const B = `sha256:${'b'.repeat(64)}`;
const CREATED = '2026-01-02T03:04:05Z';

function config(history: OciConfig['history']): OciConfig {
  return { rootfs: { type: 'layers', diff_ids: [A, B] }, history };
}

describe('an image’s steps from its config', () => {
  it('pairs each step that made a layer with the next layer, config-only steps with none', () => {
    const steps = imageSteps(
      config([
        { created: '2026-01-01T00:00:00Z', created_by: '/bin/sh -c #(nop) ADD file:abc in / ' },
        { created_by: '/bin/sh -c #(nop)  CMD ["sh"]', empty_layer: true },
        { created_by: 'RUN /bin/sh -c echo hi > /hi # buildkit', comment: 'buildkit.dockerfile.v0' },
      ]),
      [5_000_000, 12],
      CREATED,
    );
    expect(steps).toEqual([
      { created: '2026-01-01T00:00:00Z', createdBy: '/bin/sh -c #(nop) ADD file:abc in / ', comment: '', diffId: A, size: 5_000_000 },
      { created: CREATED, createdBy: '/bin/sh -c #(nop)  CMD ["sh"]', comment: '', diffId: '', size: 0 },
      { created: CREATED, createdBy: 'RUN /bin/sh -c echo hi > /hi # buildkit', comment: 'buildkit.dockerfile.v0', diffId: B, size: 12 },
    ]);
  });

  it('gives one unnamed step per layer when the history is missing or does not match the layers', () => {
    const unnamed = [
      { created: CREATED, createdBy: '', comment: '', diffId: A, size: 1 },
      { created: CREATED, createdBy: '', comment: '', diffId: B, size: 2 },
    ];
    expect(imageSteps(config(undefined), [1, 2], CREATED)).toEqual(unnamed);
    expect(imageSteps(config([{ created_by: 'only one' }]), [1, 2], CREATED)).toEqual(unnamed);
  });
});
