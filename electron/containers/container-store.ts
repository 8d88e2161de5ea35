import { Container } from '../../shared/containers.js';
import { JsonRecordStore } from '../records/json-record-store.js';

/** Container records, one JSON file each under `dir` (see JsonRecordStore). */
export class ContainerStore extends JsonRecordStore<Container> {
  constructor(dir: string) {
    super({ dir, schema: Container, key: (c) => c.id, keys: /^[a-f0-9]{64}$/ });
  }

  running(): Container[] {
    return this.list().filter((c) => c.state.status === 'running');
  }
}
