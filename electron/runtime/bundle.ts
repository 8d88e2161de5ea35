/** Where each of a container's files lives on the Linux side, under its bundle directory. */
export interface BundlePaths {
  dir: string;
  config: string;
  rootfs: string;
  upper: string;
  work: string;
  pidFile: string;
  /** The supervisor's pid on the Linux side: followers of the log stop once it is gone. */
  supervisorPidFile: string;
  /** Written by the supervisor when the container's process ends: its exit status. */
  exitFile: string;
  /** The runtime's own log (its errors), kept apart from the container's output. */
  runtimeLog: string;
  /** The container's stdout and stderr. */
  log: string;
  hosts: string;
  hostname: string;
  resolvConf: string;
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
    supervisorPidFile: `${dir}/supervisor.pid`,
    exitFile: `${dir}/exit-status`,
    runtimeLog: `${dir}/runtime.log`,
    log: `${dir}/container.log`,
    hosts: `${dir}/hosts`,
    hostname: `${dir}/hostname`,
    resolvConf: `${dir}/resolv.conf`,
  };
}
