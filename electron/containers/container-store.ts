import { JsonRecordStore } from '../records/json-record-store.js';
import { ContainerRecord } from './container-record.js';

/** Container records, one JSON file each under `dir` (see JsonRecordStore). */
export class ContainerStore extends JsonRecordStore<ContainerRecord> {
  constructor(dir: string) {
    super({ dir, schema: ContainerRecord, key: (c) => c.id, keys: /^[a-f0-9]{64}$/ });
  }

  running(): ContainerRecord[] {
    return this.list().filter((c) => c.state.status === 'running');
  }
}
