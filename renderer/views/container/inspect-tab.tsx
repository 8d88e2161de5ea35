import type { Container } from '../../../shared/containers.js';
import { JsonTree } from '../../components/json-tree.js';

/** The container's whole record, as the engine keeps it. */
export function InspectTab({ container }: { container: Container }) {
  return <JsonTree value={container} label={`Record of ${container.name}`} depth={1} />;
}
