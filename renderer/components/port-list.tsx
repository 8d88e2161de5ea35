import { hostAddress, ipFamily, type PortMapping } from '../../shared/ports.js';
import { portUrl } from '../format/port-text.js';
import { ExternalIcon } from './icons.js';
import { SourceBadge } from './source-badge.js';

/**
 * One line per mapping: `hostIp:hostPort → guestPort/proto`, a link where a browser can open it, and
 * its address family (`-p 8080:80` is two lines: IPv4 and IPv6).
 */
export function PortList({ ports }: { ports: PortMapping[] }) {
  if (ports.length === 0) return <span className="muted">—</span>;
  return (
    <ul className="port-list">
      {ports.map((mapping) => {
        const url = portUrl(mapping);
        const text = `${hostAddress(mapping)} → ${mapping.guestPort}/${mapping.protocol}`;
        return (
          <li key={`${mapping.hostIp}:${mapping.hostPort}/${mapping.protocol}`} className="port">
            {url ? (
              // In the app the main process sends new windows to the system browser; here, a new tab.
              <a className="port-link" href={url} target="_blank" rel="noopener noreferrer">
                <span className="mono">{text}</span>
                <ExternalIcon />
              </a>
            ) : (
              <span className="mono">{text}</span>
            )}
            <span className="port-family">{ipFamily(mapping.hostIp)}</span>
            <SourceBadge mapping={mapping} />
          </li>
        );
      })}
    </ul>
  );
}
