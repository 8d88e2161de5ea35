import { cpus, totalmem } from 'node:os';
import type { ContainerStats } from '../../../shared/containers.js';
import { DockerError, ok, type DockerRoute } from './docker-call.js';
import { startStream, writeJsonLine } from './docker-reply.js';
import { queryBool } from './docker-query.js';

const NS_PER_S = 1_000_000_000;

/**
 * One sample in Docker's shape. Berth measures CPU as a percentage over its interval; clients work it
 * out again from two counters (`cpu_stats` against `precpu_stats`), so the counters are set to give
 * back the same figure: one second of all CPUs' time, and the container's share of it.
 */
function dockerStats(stats: ContainerStats, read: Date, previous: { cpu: number; system: number }) {
  const online = cpus().length;
  const system = previous.system + NS_PER_S * online;
  const cpu = previous.cpu + Math.round((stats.cpuPercent / 100) * NS_PER_S);
  const sample = {
    read: read.toISOString(),
    preread: new Date(read.getTime() - 1000).toISOString(),
    id: stats.id,
    name: `/${stats.name}`,
    pids_stats: { current: stats.pids },
    cpu_stats: { cpu_usage: { total_usage: cpu, usage_in_kernelmode: 0, usage_in_usermode: cpu }, system_cpu_usage: system, online_cpus: online, throttling_data: { periods: 0, throttled_periods: 0, throttled_time: 0 } },
    precpu_stats: { cpu_usage: { total_usage: previous.cpu, usage_in_kernelmode: 0, usage_in_usermode: previous.cpu }, system_cpu_usage: previous.system, online_cpus: online, throttling_data: { periods: 0, throttled_periods: 0, throttled_time: 0 } },
    // No limit reads as the machine's memory, as Docker shows it.
    memory_stats: { usage: stats.memoryBytes, limit: stats.memoryLimitBytes || totalmem(), stats: {} },
    blkio_stats: {
      io_service_bytes_recursive: [
        { major: 0, minor: 0, op: 'read', value: stats.blockReadBytes },
        { major: 0, minor: 0, op: 'write', value: stats.blockWriteBytes },
      ],
    },
    // Berth counts the container's interfaces together; clients sum them anyway.
    networks: { eth0: { rx_bytes: stats.netRxBytes, rx_packets: 0, rx_errors: 0, rx_dropped: 0, tx_bytes: stats.netTxBytes, tx_packets: 0, tx_errors: 0, tx_dropped: 0 } },
  };
  previous.cpu = cpu;
  previous.system = system;
  return sample;
}

/** `GET /containers/{id}/stats`: one sample (`stream=0`), or one a second until the client goes; and `top`. */
export function statsRoutes(): DockerRoute[] {
  return [
    {
      method: 'GET',
      path: '/containers/:id/top',
      handler: async (call) => {
        const psArgs = call.query.get('ps_args') ?? '';
        if (psArgs !== '' && psArgs !== '-ef') throw new DockerError(400, `Berth lists processes as ps -ef does; ps options ("${psArgs.slice(0, 64)}") are not supported yet`);
        const { titles, processes } = await call.engine('containers.top', { id: call.params.id! });
        return ok({ Titles: titles, Processes: processes });
      },
    },
    {
      method: 'GET',
      path: '/containers/:id/stats',
      handler: async (call) => {
        const container = await call.engine('containers.inspect', { id: call.params.id! });
        const counters = { cpu: 0, system: 0 };
        const stream = queryBool(call.query, 'stream', true) && !queryBool(call.query, 'one-shot');
        const zero: ContainerStats = { id: container.id, name: container.name, cpuPercent: 0, memoryBytes: 0, memoryLimitBytes: 0, pids: 0, netRxBytes: 0, netTxBytes: 0, blockReadBytes: 0, blockWriteBytes: 0 };
        // A stopped container has no cgroup: Docker answers zeros.
        const pick = (all: ContainerStats[]) => all.find((s) => s.id === container.id) ?? zero;
        if (!stream) return ok(dockerStats(pick(await call.engine('containers.stats', { ids: [container.id], stream: false })), new Date(), counters));
        startStream(call.res, 'application/json');
        await call.engine('containers.stats', { ids: [container.id], stream: true }, (all) => writeJsonLine(call.res, dockerStats(pick(all), new Date(), counters)));
        call.res.end();
        return undefined;
      },
    },
  ];
}
