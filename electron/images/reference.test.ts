import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { BerthError } from '../../shared/berth-error.js';
import { familiarReference, isLoopbackRegistry, normaliseReference, parseReference, registryHost, tryNormaliseReference } from './reference.js';

const D = 'sha256:' + 'a'.repeat(64);

describe('normaliseReference', () => {
  it.each([
    ['busybox', 'docker.io/library/busybox:latest'],
    ['busybox:1.36', 'docker.io/library/busybox:1.36'],
    ['library/busybox', 'docker.io/library/busybox:latest'],
    ['docker.io/busybox', 'docker.io/library/busybox:latest'],
    ['index.docker.io/busybox:1', 'docker.io/library/busybox:1'],
    ['docker.io/library/busybox:latest', 'docker.io/library/busybox:latest'],
    ['user/app', 'docker.io/user/app:latest'],
    ['user/app/sub:v2', 'docker.io/user/app/sub:v2'],
    ['localhost/app', 'localhost/app:latest'],
    ['localhost:5000/a/b:tag', 'localhost:5000/a/b:tag'],
    ['127.0.0.1:5000/x', '127.0.0.1:5000/x:latest'],
    ['[::1]:5000/x', '[::1]:5000/x:latest'],
    ['[::1]/x:1', '[::1]/x:1'],
    ['example.com/team/app:1.0', 'example.com/team/app:1.0'],
    ['Example.COM/app', 'Example.COM/app:latest'],
    [`busybox@${D}`, `docker.io/library/busybox@${D}`],
    [`busybox:1@${D}`, `docker.io/library/busybox:1@${D}`],
    [`localhost:5000/a@${D}`, `localhost:5000/a@${D}`],
    ['a_b/c__d/e-f---g.h:_T.-1', 'docker.io/a_b/c__d/e-f---g.h:_T.-1'],
    ['x:' + 'a'.repeat(128), 'docker.io/library/x:' + 'a'.repeat(128)],
  ])('%s → %s', (input, expected) => {
    expect(normaliseReference(input)).toBe(expected);
  });
});

describe('parseReference rejects', () => {
  it.each([
    ['', 'empty'],
    ['Foo:bar', 'repository name must be lowercase'],
    ['user/App', 'repository name must be lowercase'],
    ['busybox:' + 'a'.repeat(129), 'longer than 128'],
    ['busybox:.hidden', 'tag ".hidden"'],
    ['busybox:-x', 'tag "-x"'],
    ['busybox:a+b', 'tag "a+b"'],
    ['busybox:', 'tag is empty'],
    ['busybox@sha256:abc', 'digest "sha256:abc"'],
    ['busybox@sha256:' + 'A'.repeat(64), 'lowercase hex'],
    ['busybox@md5:' + 'a'.repeat(32), 'not supported'],
    ['busybox@', 'malformed'],
    [':tag', 'repository name is empty'],
    ['a//b', 'empty path component'],
    ['/busybox', 'empty path component'],
    ['busybox/', 'empty path component'],
    ['bad_-name', 'invalid characters'],
    ['-busybox', 'invalid characters'],
    ['a'.repeat(64), 'image id'],
    ['localhost:99999/x', 'port "99999"'],
    ['[zz::1]:5000/x', 'IPv6'],
    ['my-.host.com/x', 'not a valid host name'],
    [' busybox', 'spaces'],
    ['busy box', 'invalid characters'],
    ['x/' + 'a'.repeat(260), 'longer than 255'],
  ])('%j (%s)', (input, fragment) => {
    let caught: unknown;
    try {
      parseReference(input);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(BerthError);
    const err = caught as BerthError;
    expect(err.code).toBe('INVALID_REFERENCE');
    expect(err.message).toContain(`invalid reference "${input}"`);
    expect(err.message).toContain(fragment);
    expect(err.message).not.toContain('\n');
  });
});

describe('parseReference parts', () => {
  it('splits domain, path, tag and digest', () => {
    expect(parseReference(`localhost:5000/a/b:t@${D}`)).toEqual({ domain: 'localhost:5000', path: 'a/b', tag: 't', digest: D });
    expect(parseReference(`busybox@${D}`)).toEqual({ domain: 'docker.io', path: 'library/busybox', digest: D });
    expect(parseReference('[::1]:5000/x')).toEqual({ domain: '[::1]:5000', path: 'x', tag: 'latest' });
  });
});

describe('familiarReference', () => {
  it.each([
    ['busybox', 'busybox:latest'],
    ['docker.io/library/busybox:1', 'busybox:1'],
    ['user/app', 'user/app:latest'],
    ['localhost:5000/a/b:t', 'localhost:5000/a/b:t'],
    [`busybox@${D}`, `busybox@${D}`],
  ])('%s → %s', (input, expected) => {
    expect(familiarReference(input)).toBe(expected);
  });
});

describe('registry hosts', () => {
  it('maps the default name to its registry host', () => {
    expect(registryHost('docker.io')).toBe('registry-1.docker.io');
    expect(registryHost('localhost:5000')).toBe('localhost:5000');
  });
  it.each([
    ['localhost:5000', true],
    ['localhost', true],
    ['127.0.0.1:5000', true],
    ['127.1.2.3', true],
    ['[::1]:5000', true],
    ['128.0.0.1:5000', false],
    ['127.0.0.1.example.com', false],
    ['docker.io', false],
  ])('%s loopback=%s', (domain, expected) => {
    expect(isLoopbackRegistry(domain)).toBe(expected);
  });
});

describe('tryNormaliseReference', () => {
  it('normalises what parses and gives undefined for the rest', () => {
    expect(tryNormaliseReference('busybox')).toBe('docker.io/library/busybox:latest');
    expect(tryNormaliseReference('Bad:Name')).toBeUndefined();
    expect(tryNormaliseReference('a'.repeat(64))).toBeUndefined();
  });
});

/** Modules a file loads at run time: `import type` is erased, so it does not count. */
function runtimeImports(file: string): string[] {
  const source = readFileSync(file, 'utf8');
  const specifiers: string[] = [];
  for (const match of source.matchAll(/^(?:import|export)\s+(type\s)?[^;]*?from\s+'([^']+)'/gm)) {
    if (!match[1] && match[2]) specifiers.push(match[2]);
  }
  for (const match of source.matchAll(/^import\s+'([^']+)'/gm)) if (match[1]) specifiers.push(match[1]);
  return specifiers;
}

describe('reference module', () => {
  it('loads no zod, directly or through its imports, so the CLI starts fast', () => {
    const seen = new Set<string>();
    const external: string[] = [];
    const visit = (file: string): void => {
      if (seen.has(file)) return;
      seen.add(file);
      for (const specifier of runtimeImports(file)) {
        if (specifier.startsWith('.')) visit(resolve(dirname(file), specifier.replace(/\.js$/, '.ts')));
        else external.push(specifier);
      }
    };
    visit(join(dirname(fileURLToPath(import.meta.url)), 'reference.ts'));
    expect(seen.size).toBeGreaterThan(1);
    expect(external.filter((name) => !name.startsWith('node:'))).toEqual([]);
  });
});
