import { describe, expect, it } from 'vitest';
import { baseImages } from './dockerfile-bases.js';

describe('the images a Dockerfile builds from', () => {
  it('lists each stage base once, leaving out scratch and earlier stages', () => {
    const dockerfile = ['# syntax=docker/dockerfile:1', 'FROM hello AS build', 'RUN make', 'FROM build AS test', 'from --platform=linux/amd64 busybox:1.36', 'FROM scratch', 'COPY --from=build /out /', 'FROM hello'].join('\n');
    expect(baseImages(dockerfile, {})).toEqual(['hello', 'busybox:1.36']);
  });

  it('expands the ARGs before the first FROM, with build-args over their defaults', () => {
    const dockerfile = ['ARG REGISTRY=127.0.0.1:5000 \\', '    TAG="1.0"', 'ARG NAME', 'FROM ${REGISTRY}/base:$TAG', 'FROM ${NAME:-fallback}', 'ARG LATE=x', 'FROM $LATE'].join('\n');
    expect(baseImages(dockerfile, {})).toEqual(['127.0.0.1:5000/base:1.0', 'fallback']);
    expect(baseImages(dockerfile, { TAG: '2.0', NAME: 'given' })).toEqual(['127.0.0.1:5000/base:2.0', 'given']);
  });

  it('joins continued FROM lines and reads CRLF files', () => {
    expect(baseImages('FROM \\\r\n  hello \\\r\n  AS one\r\nFROM one\r\n', {})).toEqual(['hello']);
  });
});
