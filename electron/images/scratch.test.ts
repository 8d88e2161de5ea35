import { it } from 'vitest';
import { Readable } from 'node:stream';
import tar from 'tar-stream';
import { sanitiseLayer } from './sanitise-layer.js';
import { writeFileSync } from 'node:fs';
it('scratch', async () => {
  const pack = tar.pack();
  pack.entry({ name: 'etc/', type: 'directory', mode: 0o755 });
  pack.entry({ name: 'etc/shadow', mode: 0 }, 'secret');
  pack.entry({ name: 'etc/.wh..wh..opq', mode: 0o644 }, '');
  pack.entry({ name: 'big', mode: 0o4755 }, Buffer.alloc(1_000_000, 1));
  pack.entry({ name: 'dev/null', type: 'character-device', devmajor: 1, devminor: 3 });
  pack.entry({ name: 'x/.wh.foo' }, '');
  pack.finalize();
  const chunks: Buffer[] = [];
  const out = sanitiseLayer(Readable.from(pack), 'layer L');
  for await (const c of out) chunks.push(c as Buffer);
  writeFileSync('/tmp/t1.tar', Buffer.concat(chunks));
});
