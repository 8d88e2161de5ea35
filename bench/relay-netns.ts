import { runChecked } from './timed-command.js';

/**
 * A network namespace standing in for a container: a veth pair with a private /30 between it and
 * the host, reached at its own address, as a container on a bridge is. Nothing else routes it.
 */
export interface BenchNamespace {
  name: string;
  hostAddress: string;
  address: string;
  /** argv prefix that runs a command inside the namespace. */
  exec: string[];
  /** Names and addresses that show this benchmark's traces on the machine (to check they are gone). */
  marks: string[];
  remove(): Promise<void>;
}

/** 10.231.77.0/30: private, and checked unused before it is taken. */
const SUBNET_PREFIX = '10.231.77.';

export async function createNamespace(tag: string): Promise<BenchNamespace> {
  const name = `berth-relay-bench-${tag}`;
  const hostLink = `brb${tag}h`.slice(0, 15);
  const guestLink = `brb${tag}c`.slice(0, 15);
  const hostAddress = `${SUBNET_PREFIX}1`;
  const address = `${SUBNET_PREFIX}2`;
  const inUse = [
    ...(await runChecked(['ip', '-o', '-4', 'addr', 'show'])).stdout.split('\n'),
    ...(await runChecked(['ip', '-4', 'route', 'show', 'table', 'all'])).stdout.split('\n'),
  ].filter((line) => line.includes(SUBNET_PREFIX.slice(0, -1)));
  if (inUse.length > 0) throw new Error(`${SUBNET_PREFIX}0/30 is already in use here: ${inUse[0]!.trim()}`);

  const remove = async () => {
    await runChecked(['ip', 'netns', 'del', name]).catch(() => {});
    // Deleting the namespace takes its veth end and so the pair; this is for a half-made setup.
    await runChecked(['ip', 'link', 'del', hostLink]).catch(() => {});
  };
  try {
    await runChecked(['ip', 'netns', 'add', name]);
    await runChecked(['ip', 'link', 'add', hostLink, 'type', 'veth', 'peer', 'name', guestLink]);
    await runChecked(['ip', 'link', 'set', guestLink, 'netns', name]);
    await runChecked(['ip', 'addr', 'add', `${hostAddress}/30`, 'dev', hostLink]);
    await runChecked(['ip', 'link', 'set', hostLink, 'up']);
    await runChecked(['ip', '-n', name, 'addr', 'add', `${address}/30`, 'dev', guestLink]);
    await runChecked(['ip', '-n', name, 'link', 'set', guestLink, 'up']);
    await runChecked(['ip', '-n', name, 'link', 'set', 'lo', 'up']);
  } catch (error) {
    await remove();
    throw error;
  }
  return { name, hostAddress, address, exec: ['ip', 'netns', 'exec', name], marks: [name, hostLink, guestLink, SUBNET_PREFIX], remove };
}
