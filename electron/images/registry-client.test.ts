import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { networkInterfaces } from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import { errorOf } from '../../e2e/fixtures/error-of.js';
import { insecureRegistriesFromEnv, RegistryClient } from './registry-client.js';

const servers: http.Server[] = [];

/** A bare HTTP server on 127.0.0.1 that answers every request with `handler`. */
async function serve(handler: http.RequestListener): Promise<string> {
  const server = http.createServer(handler);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `127.0.0.1:${(server.address() as AddressInfo).port}`;
}

afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});


describe('RegistryClient errors', () => {
  it('names the registry and the status of a 5xx', async () => {
    const host = await serve((req, res) => {
      res.writeHead(req.url === '/v2/' ? 200 : 503, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ errors: [{ code: 'UNAVAILABLE', message: 'maintenance' }] }));
    });
    const err = await errorOf(new RegistryClient({ domain: host }).manifest('a/b', 'latest', 'a/b:latest'));
    expect(err.code).toBe('REGISTRY_ERROR');
    expect(err.message).toBe(`registry ${host} answered 503 for a/b:latest: UNAVAILABLE maintenance`);
  });

  it('reports a 404 manifest as IMAGE_NOT_FOUND naming the reference', async () => {
    const host = await serve((req, res) => {
      res.writeHead(req.url === '/v2/' ? 200 : 404);
      res.end();
    });
    const err = await errorOf(new RegistryClient({ domain: host }).manifest('a/b', 'nope', `${host}/a/b:nope`));
    expect(err.code).toBe('IMAGE_NOT_FOUND');
    expect(err.message).toContain(`"${host}/a/b:nope"`);
  });

  it('refuses a manifest over 4 MiB', async () => {
    const host = await serve((req, res) => {
      if (req.url === '/v2/') {
        res.end();
        return;
      }
      // No content-length: the limit must hold while reading, too.
      res.writeHead(200, { 'content-type': 'application/vnd.oci.image.manifest.v1+json', 'transfer-encoding': 'chunked' });
      const chunk = Buffer.alloc(64 * 1024, 0x20);
      let sent = 0;
      const more = (): void => {
        while (sent < 5 * 1024 * 1024) {
          sent += chunk.length;
          if (!res.write(chunk)) {
            res.once('drain', more);
            return;
          }
        }
        res.end();
      };
      more();
    });
    const err = await errorOf(new RegistryClient({ domain: host }).manifest('a/b', 'big', 'a/b:big'));
    expect(err.code).toBe('REGISTRY_ERROR');
    expect(err.message).toContain('larger than the 4194304 bytes allowed');
  });

  it('gives up on a registry that goes silent', async () => {
    const host = await serve((req, res) => {
      if (req.url === '/v2/') res.end();
      // Otherwise: never answer.
    });
    const started = Date.now();
    const err = await errorOf(new RegistryClient({ domain: host, idleTimeoutMs: 300 }).manifest('a/b', 'slow', 'a/b:slow'));
    expect(err.code).toBe('REGISTRY_ERROR');
    expect(err.message).toContain(host);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('reports connection refused', async () => {
    const host = await serve(() => undefined);
    const server = servers.pop();
    server?.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve));
    const err = await errorOf(new RegistryClient({ domain: host }).ping());
    expect(err).toMatchObject({ code: 'REGISTRY_ERROR', message: `registry ${host} is unreachable: connection refused` });
  });

  it('refuses a manifest whose digest is not the one asked for', async () => {
    const host = await serve((req, res) => {
      res.end(req.url === '/v2/' ? '' : '{"schemaVersion":2}');
    });
    const err = await errorOf(new RegistryClient({ domain: host }).manifest('a/b', `sha256:${'1'.repeat(64)}`, 'a/b'));
    expect(err.code).toBe('DIGEST_MISMATCH');
  });
});

describe('plain HTTP', () => {
  it('reads the insecure list from the environment', () => {
    expect(insecureRegistriesFromEnv({ BERTH_INSECURE_REGISTRIES: ' reg.lan:5000, 10.0.0.2:80 ,' })).toEqual(['reg.lan:5000', '10.0.0.2:80']);
    expect(insecureRegistriesFromEnv({})).toEqual([]);
  });

  it('is spoken to a non-loopback registry only when it is listed', async (context) => {
    const address = Object.values(networkInterfaces())
      .flat()
      .find((a) => a?.family === 'IPv4' && !a.internal)?.address;
    if (!address) context.skip();
    const server = http.createServer((_req, res) => res.end());
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, address, resolve));
    const host = `${address}:${(server.address() as AddressInfo).port}`;

    const err = await errorOf(new RegistryClient({ domain: host, insecure: [] }).ping());
    expect(err.code).toBe('REGISTRY_ERROR');
    await new RegistryClient({ domain: host, insecure: [host] }).ping();
  });
});
