import { describe, expect, it } from 'vitest';
import { describeBuildFailure } from './build-failure.js';

const CONTEXT = '/data/build/work/0123/context';

describe("a failed build's one line", () => {
  it('names the Dockerfile line of an unknown instruction, without the Go dump', () => {
    const said = 'Error: building at STEP "FORM ": Build error: Unknown instruction: "FORM" &imagebuilder.Step{Env:[]string{"PATH=/usr/bin"}, Original:"FORM x"}';
    expect(describeBuildFailure(said, 'FROM hello\nRUN echo ok\nFORM x\n', CONTEXT)).toBe('Dockerfile line 3: FORM: Unknown instruction: "FORM"');
  });

  it('names the step and line of a RUN that failed, continued lines joined', () => {
    const said = 'Error: building at STEP "RUN echo failing &&   exit 3": exit status 3';
    expect(describeBuildFailure(said, 'FROM hello\n\nRUN echo failing && \\\n  exit 3\n', CONTEXT)).toBe('Dockerfile line 3: RUN echo failing &&   exit 3: exit status 3');
  });

  it('speaks of the context, not the folder it was unpacked in', () => {
    const said = `Error: building at STEP "COPY missing.txt /x": checking on sources under "${CONTEXT}": copier: stat: "/missing.txt": no such file or directory`;
    expect(describeBuildFailure(said, 'FROM hello\ncopy missing.txt /x\n', CONTEXT)).toBe('Dockerfile line 2: COPY missing.txt /x: checking on sources under the context: copier: stat: "/missing.txt": no such file or directory');
  });

  it('passes other words on as they are', () => {
    expect(describeBuildFailure('Error: no FROM statement found', 'RUN x', CONTEXT)).toBe('no FROM statement found');
  });
});
