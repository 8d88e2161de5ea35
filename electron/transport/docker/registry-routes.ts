import type { IncomingMessage } from 'node:http';
import { z } from 'zod';
import type { RegistryCredentials } from '../../../shared/images.js';
import { DockerError, ok, type DockerRoute } from './docker-call.js';

/** What Docker's clients send for a registry: /auth's body, and X-Registry-Auth (base64 JSON). */
// docker-py (and compose v1 through it) sends fields it has no value for as null.
const AuthConfig = z.object({
  username: z.string().max(1024).nullish(),
  password: z.string().max(64 * 1024).nullish(),
  serveraddress: z.string().max(1024).nullish(),
  email: z.string().nullish(),
  identitytoken: z.string().nullish(),
  registrytoken: z.string().nullish(),
});

/** The account a client sent with a pull or a push (docker CLI, docker-py): none when it sent none. */
export function registryAuthOf(req: IncomingMessage): RegistryCredentials | undefined {
  const header = req.headers['x-registry-auth'];
  if (typeof header !== 'string' || header.trim() === '') return undefined;
  let json: unknown;
  try {
    // Docker's clients send base64url; Node's base64 decoder reads both alphabets.
    json = JSON.parse(Buffer.from(header, 'base64').toString('utf8'));
  } catch {
    throw new DockerError(400, 'X-Registry-Auth is not base64-encoded JSON');
  }
  const parsed = AuthConfig.safeParse(json);
  if (!parsed.success) throw new DockerError(400, 'X-Registry-Auth does not hold an account (username, password)');
  const { username, password, identitytoken, registrytoken } = parsed.data;
  if (identitytoken || registrytoken) throw new DockerError(400, 'Berth takes a registry account as username and password; identity and registry tokens are not supported');
  return username && password ? { username, password } : undefined;
}

/** `/auth`: checks an account with its registry, as dockerd does for `docker login` (the client keeps it). */
export function registryRoutes(): DockerRoute[] {
  return [
    {
      method: 'POST',
      path: '/auth',
      handler: async (call) => {
        const parsed = AuthConfig.safeParse((await call.body()) ?? {});
        if (!parsed.success) throw new DockerError(400, 'the login needs a username and a password');
        const { username, password, serveraddress } = parsed.data;
        if (!username || !password) throw new DockerError(400, 'the login needs a username and a password');
        await call.engine('registries.login', { server: serveraddress ?? '', username, password, save: false });
        return ok({ Status: 'Login Succeeded', IdentityToken: '' });
      },
    },
  ];
}
