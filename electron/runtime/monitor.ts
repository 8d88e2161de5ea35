import type { Host, HostProcess } from '../host/host.js';
import { attachName, attachSocketDir, type BundlePaths, type ExecPaths } from './bundle.js';
import type { LogLimits } from './container-log.js';
import type { RuntimeCli } from './runtime-cli.js';

/**
 * Each container is kept by conmon, the monitor of Podman and CRI-O: it creates the container through
 * the runtime, holds its stdio, writes its log (each line with its stream and time, capped in size),
 * records the exit status (and an OOM kill), and outlives the engine, so a quit or a crash of the app
 * does not kill containers and leaves the exit code for whoever looks next. It costs about 0.4 MB a
 * container in PSS (4 MB RSS, mostly shared libraries), where a foreground `runc run` held about 13.
 *
 * The engine starts it in a session of its own with `--sync` (one fork, not two), so the process the
 * engine started is conmon itself and its exit says the container has ended and its log is complete.
 */
export function startMonitor(host: Host, runtime: RuntimeCli, id: string, paths: BundlePaths, limits: LogLimits, stdio: { tty: boolean; interactive: boolean; stdinOnce: boolean }): HostProcess {
  const conmon = [
    'conmon', '--api-version', '1', '--sync',
    ...(stdio.tty ? ['--terminal'] : []),
    // The engine holds the attach connection, and may detach when it quits: the process's stdin stays
    // open, unless it is to close with its input (StdinOnce).
    ...(stdio.interactive ? ['--stdin', ...(stdio.stdinOnce ? [] : ['--leave-stdin-open'])] : []),
    '-c', id,
    '-u', attachName(id),
    '-r', runtime.binary,
    '-b', paths.dir,
    '-p', paths.pidFile,
    '--exit-dir', paths.exitDir,
    '--persist-dir', paths.persistDir,
    '--socket-dir-path', attachSocketDir(host.dataRoot),
    '-l', `k8s-file:${paths.log}`,
    '--log-size-max', String(limits.maxBytes),
    '--runtime-arg', `--root=${runtime.root}`,
    '--runtime-arg', `--log=${paths.runtimeLog}`,
    '--runtime-arg', '--log-format=json',
  ];
  // With --sync conmon writes no pid file of its own: the shell records its pid, then becomes conmon,
  // in the bundle's folder, where conmon leaves the files it makes in its working folder (an `oom` mark).
  return host.spawn(['sh', '-c', 'echo $$ >"$0" && cd "$1" && shift && exec "$@"', paths.monitorPidFile, paths.dir, ...conmon], { detached: true });
}

/**
 * conmon's argv for an exec on a terminal (`--exec`): it runs the runtime's `exec` with the process in
 * `paths.spec` and holds the pty master itself, as it does a container's, so keystrokes cross one
 * monitor rather than a relay of the runtime's own pty. `--exec-attach` holds the process back until
 * the engine's agent is connected, so its first output (a shell's prompt) is not lost.
 */
export function execMonitorArgv(host: Host, runtime: RuntimeCli, containerId: string, execId: string, paths: ExecPaths): string[] {
  return [
    'conmon', '--api-version', '1', '--sync', '--exec', '--exec-attach', '--terminal',
    '--exec-process-spec', paths.spec,
    '-c', containerId,
    '-u', execId,
    '-r', runtime.binary,
    '-b', paths.dir,
    '-p', paths.pidFile,
    '--exit-dir', paths.exitDir,
    '--socket-dir-path', attachSocketDir(host.dataRoot),
    // The engine's session keeps the scrollback; an exec has no log of its own, as in Docker.
    '-l', 'none',
    '--runtime-arg', `--root=${runtime.root}`,
  ];
}

/** Clears what a previous run of the container left, and makes the folders conmon needs before it starts. */
export async function prepareMonitor(host: Host, paths: BundlePaths): Promise<void> {
  const stale = [paths.pidFile, paths.monitorPidFile, paths.exitFile, paths.runtimeLog, `${paths.persistDir}/exit`, `${paths.persistDir}/oom`];
  await host.exec(['rm', '-f', ...stale, paths.legacy.supervisorPidFile, paths.legacy.exitFile]);
  await host.exec(['mkdir', '-p', paths.exitDir, paths.persistDir, attachSocketDir(host.dataRoot)]);
}

/** The files of the monitor keeping a container: conmon, or the shell supervisor of an earlier Berth. */
export interface MonitorFiles {
  pidFile: string;
  exitFile: string;
}

/**
 * Containers that an earlier Berth started under its shell supervisor keep running under it until
 * they stop; their next start is conmon's. Start removes the supervisor's pid file, so its presence
 * says which monitor holds the container now.
 */
export async function monitorFiles(host: Host, paths: BundlePaths): Promise<MonitorFiles> {
  if (await host.stat(paths.legacy.supervisorPidFile)) return { pidFile: paths.legacy.supervisorPidFile, exitFile: paths.legacy.exitFile };
  return { pidFile: paths.monitorPidFile, exitFile: paths.exitFile };
}

/** The exit status the monitor recorded, or undefined while the container still runs. */
export async function readExitStatus(host: Host, paths: BundlePaths): Promise<number | undefined> {
  const { exitFile } = await monitorFiles(host, paths);
  if (!(await host.stat(exitFile))) return undefined;
  const code = Number((await host.readFile(exitFile)).toString().trim());
  return Number.isInteger(code) ? code : undefined;
}

/** conmon leaves `oom` in its persist folder when the kernel's OOM killer ended the container. */
export async function wasOomKilled(host: Host, paths: BundlePaths): Promise<boolean> {
  return (await host.stat(`${paths.persistDir}/oom`)) !== undefined;
}

/** The last error the runtime logged (runc writes JSON lines with a msg field). */
export async function readRuntimeError(host: Host, paths: BundlePaths): Promise<string> {
  const text = await host.readFile(paths.runtimeLog).then((b) => b.toString(), () => '');
  const lines = text.trim().split('\n').reverse();
  for (const line of lines) {
    try {
      const entry = JSON.parse(line) as { level?: string; msg?: string };
      if (entry.level === 'error' || entry.level === 'fatal') return entry.msg ?? line;
    } catch {
      if (line.trim()) return line.trim();
    }
  }
  return '';
}
