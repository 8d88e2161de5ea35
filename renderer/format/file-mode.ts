import type { PathStat } from '../../shared/files.js';

const TYPE_LETTER: Record<PathStat['type'], string> = { file: '-', directory: 'd', symlink: 'l', other: '?' };

/** 0o4755 of a file → "-rwsr-xr-x", as `ls -l` writes it. */
export function modeText(type: PathStat['type'], mode: number): string {
  const special = [0o4000, 0o2000, 0o1000] as const;
  const marks = ['s', 's', 't'] as const;
  let text = TYPE_LETTER[type];
  for (let who = 0; who < 3; who++) {
    const bits = (mode >> (6 - who * 3)) & 7;
    text += bits & 4 ? 'r' : '-';
    text += bits & 2 ? 'w' : '-';
    const execute = (bits & 1) !== 0;
    const mark = marks[who]!;
    text += mode & special[who]! ? (execute ? mark : mark.toUpperCase()) : execute ? 'x' : '-';
  }
  return text;
}

/** A path inside a folder of the container. */
export function childPath(folder: string, name: string): string {
  return folder === '/' ? `/${name}` : `${folder}/${name}`;
}

/** "/etc/ssl" → [["/", "/"], ["etc", "/etc"], ["ssl", "/etc/ssl"]]: the crumbs to each folder above. */
export function pathCrumbs(path: string): [name: string, path: string][] {
  const crumbs: [string, string][] = [['/', '/']];
  for (const part of path.split('/').filter(Boolean)) crumbs.push([part, childPath(crumbs[crumbs.length - 1]![1], part)]);
  return crumbs;
}
