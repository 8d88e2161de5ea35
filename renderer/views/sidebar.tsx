import type { ReactNode } from 'react';
import { BerthMark, BoxIcon, DiskIcon, GaugeIcon, GearIcon, LayersIcon, NetworkIcon } from '../components/icons.js';
import { useContainers } from '../store/containers-store.js';
import { useImages } from '../store/images-store.js';
import { sectionOf, type Section } from '../../shared/app-route.js';
import { useUi } from '../store/ui-store.js';
import { useNetworks } from '../store/networks-store.js';
import { useVolumes } from '../store/volumes-store.js';

function NavItem({ view, icon, label, count }: { view: Section; icon: ReactNode; label: string; count?: number }) {
  const current = useUi((s) => sectionOf(s.route) === view);
  return (
    <button type="button" className="nav-item" aria-current={current ? 'page' : undefined} onClick={() => useUi.getState().navigate({ page: view })}>
      {icon}
      <span className="nav-label">{label}</span>
      {count !== undefined && <span className="nav-count">{count}</span>}
    </button>
  );
}

export function Sidebar() {
  const containers = useContainers((s) => s.order.length);
  const images = useImages((s) => s.images.length);
  const volumes = useVolumes((s) => s.volumes.length);
  const networks = useNetworks((s) => s.networks.filter((n) => !n.builtin).length);
  return (
    <nav className="sidebar" aria-label="Sections">
      <div className="brand">
        <BerthMark />
        <span className="brand-name">Berth</span>
      </div>
      <NavItem view="containers" icon={<BoxIcon />} label="Containers" count={containers} />
      <NavItem view="images" icon={<LayersIcon />} label="Images" count={images} />
      <NavItem view="volumes" icon={<DiskIcon />} label="Volumes" count={volumes} />
      <NavItem view="networks" icon={<NetworkIcon />} label="Networks" count={networks} />
      <NavItem view="disk" icon={<GaugeIcon />} label="Disk usage" />
      <div className="nav-end">
        <NavItem view="settings" icon={<GearIcon />} label="Settings" />
      </div>
    </nav>
  );
}
