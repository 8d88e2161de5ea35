import type { PortMapping } from '../../shared/ports.js';
import { explainSource } from '../format/port-text.js';
import { Tooltip } from './tooltip.js';

/** Where a port came from, named as the engine names it; hovering says why. */
export function SourceBadge({ mapping }: { mapping: PortMapping }) {
  return (
    <Tooltip text={explainSource(mapping)} className={`badge badge-${mapping.source}`}>
      <span className="badge-label">{mapping.source}</span>
    </Tooltip>
  );
}
