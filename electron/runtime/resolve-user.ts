import { BerthError } from '../../shared/berth-error.js';
import type { Host } from '../host/host.js';
import { secureJoin } from './secure-join.js';

export interface ResolvedUser {
  uid: number;
  gid: number;
  additionalGids: number[];
}

/** Parses passwd/group style files: name:x:id:... */
function parseTable(text: string): { name: string; id: number; gid: number; members: string[] }[] {
  return text
    .split('\n')
    .map((line) => line.split(':'))
    .filter((f) => f.length >= 3 && f[0] !== '' && !f[0]!.startsWith('#'))
    .map((f) => ({ name: f[0]!, id: Number(f[2]), gid: Number(f[3]), members: (f[3] ?? '').split(',') }));
}

async function readTable(host: Host, path: string): Promise<ReturnType<typeof parseTable>> {
  try {
    return parseTable((await host.readFile(path)).toString());
  } catch {
    return [];
  }
}

/**
 * Resolves Docker's `--user` forms (`name`, `uid`, `name:group`, `uid:gid`) against the image's own
 * /etc/passwd and /etc/group, as the container will see them.
 */
export async function resolveUser(host: Host, rootfs: string, user: string): Promise<ResolvedUser> {
  if (user === '') return { uid: 0, gid: 0, additionalGids: [] };
  const [userPart = '', groupPart] = user.split(':', 2);
  const inImage = (path: string) => secureJoin(rootfs, path, (p) => host.readlink(p));
  const passwd = await readTable(host, await inImage('/etc/passwd'));
  const groups = await readTable(host, await inImage('/etc/group'));
  const numeric = /^\d+$/.test(userPart);
  const entry = passwd.find((p) => (numeric ? p.id === Number(userPart) : p.name === userPart));
  if (!entry && !numeric) {
    throw new BerthError('INVALID_ARGUMENT', `unknown user "${userPart}": no such name in the image's /etc/passwd`);
  }
  const uid = numeric ? Number(userPart) : entry!.id;
  let gid = entry && Number.isFinite(entry.gid) ? entry.gid : 0;
  if (groupPart !== undefined) {
    if (/^\d+$/.test(groupPart)) gid = Number(groupPart);
    else {
      const group = groups.find((g) => g.name === groupPart);
      if (!group) throw new BerthError('INVALID_ARGUMENT', `unknown group "${groupPart}": no such name in the image's /etc/group`);
      gid = group.id;
    }
  }
  const name = entry?.name;
  // Supplementary groups listed in /etc/group's fourth field, as login would give them.
  const additionalGids = name
    ? groups
        .filter((g) => g.members.includes(name) && g.id !== gid)
        .map((g) => g.id)
    : [];
  return { uid, gid, additionalGids };
}
