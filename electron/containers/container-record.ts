import { z } from 'zod';
import { BerthError } from '../../shared/berth-error.js';
import { Container, ContainerEndpoint, ContainerState } from '../../shared/containers.js';
import { parsePublishSpecs } from '../ports/port-publisher.js';
import { PublishRequest } from '../ports/publish-spec.js';

/**
 * A container as the engine keeps it on disk: what clients see (the contract's Container), plus what
 * only the engine needs to decide and start (who stopped it, its -p parsed once at create).
 */
const StoredContainer = Container.extend({
  state: ContainerState.extend({
    /** Set by an explicit stop, so unless-stopped and always know the user's intent. */
    stoppedByUser: z.boolean().default(false),
    /** Stopped because the app quit: always and unless-stopped bring it back when the engine starts again. */
    stoppedByQuit: z.boolean().default(false),
  }),
  /** The run's -p: absent in records of earlier Berths, parsed from their spec when read. */
  publish: z.array(PublishRequest).optional(),
  /** Absent in records of Berths before user-defined networks: their one network was the default bridge. */
  networks: z.array(ContainerEndpoint).optional(),
});

export const ContainerRecord = StoredContainer.transform((stored, context) => {
  const networks = stored.networks ?? (stored.spec.network === 'bridge' ? [{ network: 'bridge', networkId: '', aliases: [], ...pick(stored.network), interface: stored.network.address ? 'eth0' : '' }] : []);
  if (stored.publish) return { ...stored, networks, publish: stored.publish };
  try {
    return { ...stored, networks, publish: parsePublishSpecs(stored.spec) };
  } catch (err) {
    context.addIssue({ code: 'custom', message: BerthError.from(err).message });
    return z.NEVER;
  }
});

function pick({ address, gateway, prefixLength }: { address: string; gateway: string; prefixLength: number }) {
  return { address, gateway, prefixLength };
}
export type ContainerRecord = z.output<typeof ContainerRecord>;

/** What a client sees of a record. */
export function toContainer(record: ContainerRecord): Container {
  const { publish, state, ...rest } = record;
  const { stoppedByUser, stoppedByQuit, ...shown } = state;
  return { ...rest, state: shown };
}
