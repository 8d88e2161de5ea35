import { arch, cpus, release, totalmem } from 'node:os';
import { ENGINE_VERSION } from '../../engine/engine.js';
import { DOCKER_API_VERSION, DOCKER_MIN_API_VERSION, ok, type DockerRoute } from './docker-call.js';
import { COMMON_HEADERS } from './docker-reply.js';

/** Go's names for the machine, as Docker reports them. */
const GO_ARCH: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386' };
const goArch = (): string => GO_ARCH[arch()] ?? arch();

/** `/_ping`, `/version`, `/info`: what clients ask before anything else. */
export function systemRoutes(): DockerRoute[] {
  return [
    {
      method: 'GET',
      path: '/_ping',
      handler: async ({ res }) => {
        res.writeHead(200, { ...COMMON_HEADERS, 'Builder-Version': '1', 'Cache-Control': 'no-cache, no-store, must-revalidate', Pragma: 'no-cache', 'Content-Type': 'text/plain; charset=utf-8' });
        res.end(res.req.method === 'HEAD' ? undefined : 'OK');
        return undefined;
      },
    },
    {
      method: 'GET',
      path: '/version',
      handler: async () => {
        const version = { ApiVersion: DOCKER_API_VERSION, MinAPIVersion: DOCKER_MIN_API_VERSION, Os: 'linux', Arch: goArch(), KernelVersion: release(), GitCommit: '', GoVersion: '', BuildTime: '' };
        return ok({
          Platform: { Name: 'Berth' },
          // Details are all strings in Docker's type; the top level has Experimental as a boolean.
          Components: [{ Name: 'Engine', Version: ENGINE_VERSION, Details: { ...version, Experimental: 'false' } }],
          Version: ENGINE_VERSION,
          ...version,
          Experimental: false,
        });
      },
    },
    {
      method: 'GET',
      path: '/info',
      handler: async ({ engine }) => {
        const info = await engine('system.info', {});
        const containers = await engine('containers.list', { all: true });
        const count = (status: string) => containers.filter((c) => c.state.status === status).length;
        return ok({
          ID: '',
          Containers: info.containers.total,
          ContainersRunning: info.containers.running,
          ContainersPaused: 0,
          ContainersStopped: info.containers.total - info.containers.running - count('created'),
          Images: info.images,
          Driver: 'overlay',
          DriverStatus: [],
          Plugins: { Volume: ['local'], Network: ['bridge', 'host', 'null'], Authorization: null, Log: ['json-file'] },
          MemoryLimit: true,
          SwapLimit: true,
          CpuCfsPeriod: true,
          CpuCfsQuota: true,
          CPUShares: true,
          CPUSet: false,
          PidsLimit: true,
          IPv4Forwarding: true,
          BridgeNfIptables: false,
          BridgeNfIp6tables: false,
          Debug: false,
          NFd: 0,
          OomKillDisable: false,
          NGoroutines: 0,
          SystemTime: new Date().toISOString(),
          LoggingDriver: 'json-file',
          CgroupDriver: 'cgroupfs',
          NEventsListener: 0,
          KernelVersion: release(),
          OperatingSystem: `Berth ${ENGINE_VERSION} (${info.host === 'wsl' ? 'WSL2' : 'local Linux'})`,
          OSVersion: '',
          OSType: 'linux',
          Architecture: arch() === 'x64' ? 'x86_64' : arch(),
          IndexServerAddress: '',
          RegistryConfig: { AllowNondistributableArtifactsCIDRs: [], AllowNondistributableArtifactsHostnames: [], InsecureRegistryCIDRs: [], IndexConfigs: {}, Mirrors: [] },
          NCPU: cpus().length,
          MemTotal: totalmem(),
          GenericResources: null,
          DockerRootDir: info.home,
          HttpProxy: '',
          HttpsProxy: '',
          NoProxy: '',
          Name: 'berth',
          Labels: [],
          ExperimentalBuild: false,
          ServerVersion: ENGINE_VERSION,
          Runtimes: { [info.runtime.name]: { path: info.runtime.binary } },
          DefaultRuntime: info.runtime.name,
          Swarm: { NodeID: '', NodeAddr: '', LocalNodeState: 'inactive', ControlAvailable: false, Error: '', RemoteManagers: null },
          LiveRestoreEnabled: true,
          Isolation: '',
          InitBinary: '',
          ContainerdCommit: { ID: '' },
          RuncCommit: { ID: info.runtime.version },
          InitCommit: { ID: '' },
          SecurityOptions: [],
          Warnings: info.warnings,
        });
      },
    },
  ];
}
