/** Where each of a container's files lives on the Linux side, under its bundle directory. */
export interface BundlePaths {
  dir: string;
  config: string;
  rootfs: string;
  upper: string;
  work: string;
  /** The container's init pid, written by the runtime once it is created. */
  pidFile: string;
  /** The monitor's (conmon's) pid: followers of the log stop once it is gone. */
  monitorPidFile: string;
  /** conmon writes the exit status to `<exitDir>/<id>` when the container's process ends. */
  exitDir: string;
  exitFile: string;
  /** conmon's persistent files: `exit` and, after an OOM kill, `oom`. */
  persistDir: string;
  /** The runtime's own log (its errors), kept apart from the container's output. */
  runtimeLog: string;
  /** The container's stdout and stderr, one line per entry with its stream and time (k8s-file format). */
  log: string;
  /** conmon's control FIFO: `1 ROWS COLS` resizes the container's terminal. */
  ctl: string;
  hosts: string;
  hostname: string;
  resolvConf: string;
  /** The shell supervisor of Berth before conmon: its files, for containers it still runs. */
  legacy: { supervisorPidFile: string; exitFile: string };
}

export function bundlePaths(dataRoot: string, id: string): BundlePaths {
  const dir = `${dataRoot}/containers/${id}`;
  return {
    dir,
    config: `${dir}/config.json`,
    rootfs: `${dir}/rootfs`,
    upper: `${dir}/upper`,
    work: `${dir}/work`,
    pidFile: `${dir}/init.pid`,
    monitorPidFile: `${dir}/conmon.pid`,
    exitDir: `${dir}/exit`,
    exitFile: `${dir}/exit/${id}`,
    persistDir: `${dir}/persist`,
    runtimeLog: `${dir}/runtime.log`,
    log: `${dir}/container.log`,
    ctl: `${dir}/ctl`,
    hosts: `${dir}/hosts`,
    hostname: `${dir}/hostname`,
    resolvConf: `${dir}/resolv.conf`,
    legacy: { supervisorPidFile: `${dir}/supervisor.pid`, exitFile: `${dir}/exit-status` },
  };
}

/** conmon's attach sockets live under one short folder: a socket path must fit in 108 bytes. */
export function attachSocketDir(dataRoot: string): string {
  return `${dataRoot}/attach`;
}

/** The name conmon files a container's attach socket under (its cuuid): half the id, for the same reason. */
export function attachName(id: string): string {
  return id.slice(0, 32);
}

export function attachSocketPath(dataRoot: string, id: string): string {
  return `${attachSocketDir(dataRoot)}/${attachName(id)}/attach`;
}

/** Where the files of one exec on a terminal live: a folder of its own in the container's bundle. */
export interface ExecPaths {
  dir: string;
  /** The process to run (an OCI process spec). */
  spec: string;
  pidFile: string;
  exitDir: string;
  /** conmon's control FIFO for the exec's terminal. */
  ctl: string;
  /** conmon's link from the attach folder to `dir`, and the socket reached through it. */
  attachLink: string;
  attachSocket: string;
}

export function execPaths(dataRoot: string, containerId: string, execId: string): ExecPaths {
  const dir = `${bundlePaths(dataRoot, containerId).dir}/exec/${execId}`;
  const attachLink = `${attachSocketDir(dataRoot)}/${execId}`;
  return { dir, spec: `${dir}/process.json`, pidFile: `${dir}/exec.pid`, exitDir: `${dir}/exit`, ctl: `${dir}/ctl`, attachLink, attachSocket: `${attachLink}/attach` };
}
