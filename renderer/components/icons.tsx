import type { ReactNode } from 'react';

/** Small line icons, drawn on a 24-unit grid in the current text colour. */
function Icon({ children, size = 16 }: { children: ReactNode; size?: number }) {
  return (
    <svg className="icon" width={size} height={size} viewBox="0 0 24 24" fill="none" stroke="currentColor" strokeWidth={1.9} strokeLinecap="round" strokeLinejoin="round" aria-hidden="true" focusable="false">
      {children}
    </svg>
  );
}

export const PlayIcon = () => <Icon><path d="M7 5.5v13l11-6.5z" /></Icon>;
export const StopIcon = () => <Icon><rect x="6.5" y="6.5" width="11" height="11" rx="1.5" /></Icon>;
export const RestartIcon = () => <Icon><path d="M20 12a8 8 0 1 1-2.34-5.66" /><path d="M20 4v4.5h-4.5" /></Icon>;
export const LogsIcon = () => <Icon><path d="M5 6h14M5 10h14M5 14h9M5 18h6" /></Icon>;
export const TerminalIcon = () => <Icon><rect x="3" y="4.5" width="18" height="15" rx="2" /><path d="M7 9.5l3 2.5-3 2.5M12.5 15h4.5" /></Icon>;
export const TrashIcon = () => <Icon><path d="M4.5 7h15M9.5 7V4.5h5V7M6.5 7l1 12.5h9l1-12.5M10 11v5M14 11v5" /></Icon>;
export const PlusIcon = () => <Icon><path d="M12 5v14M5 12h14" /></Icon>;
export const HammerIcon = () => <Icon><path d="M13.5 6.5 17 3l4 4-3.5 3.5zM15.5 8.5 5 19l-2-2L13.5 6.5" /></Icon>;
export const DownloadIcon = () => <Icon><path d="M12 4v11M7.5 10.5 12 15l4.5-4.5M5 19.5h14" /></Icon>;
export const UploadIcon = () => <Icon><path d="M12 15.5v-11M7.5 9 12 4.5 16.5 9M5 19.5h14" /></Icon>;
export const FolderIcon = () => <Icon><path d="M3.5 7.5A1.5 1.5 0 0 1 5 6h4l2 2h8a1.5 1.5 0 0 1 1.5 1.5v8A1.5 1.5 0 0 1 19 19H5a1.5 1.5 0 0 1-1.5-1.5z" /></Icon>;
export const CloseIcon = () => <Icon><path d="M6 6l12 12M18 6 6 18" /></Icon>;
export const ExternalIcon = () => <Icon size={12}><path d="M14 5h5v5M19 5l-8 8M17 14v4.5a1.5 1.5 0 0 1-1.5 1.5h-10A1.5 1.5 0 0 1 4 18.5v-10A1.5 1.5 0 0 1 5.5 7H10" /></Icon>;
export const BoxIcon = () => <Icon><path d="M12 3 20 7.5v9L12 21l-8-4.5v-9z" /><path d="M4 7.5 12 12l8-4.5M12 12v9" /></Icon>;
export const LayersIcon = () => <Icon><path d="M12 4 3 8.5l9 4.5 9-4.5z" /><path d="M3 12.5 12 17l9-4.5M3 16.5 12 21l9-4.5" /></Icon>;
export const DiskIcon = () => <Icon><ellipse cx="12" cy="6" rx="7.5" ry="2.5" /><path d="M4.5 6v12c0 1.4 3.4 2.5 7.5 2.5s7.5-1.1 7.5-2.5V6M4.5 12c0 1.4 3.4 2.5 7.5 2.5s7.5-1.1 7.5-2.5" /></Icon>;
export const GearIcon = () => <Icon><circle cx="12" cy="12" r="3" /><path d="M12 2.5v3M12 18.5v3M2.5 12h3M18.5 12h3M5.3 5.3l2.1 2.1M16.6 16.6l2.1 2.1M5.3 18.7l2.1-2.1M16.6 7.4l2.1-2.1" /></Icon>;
export const WarningIcon = () => <Icon size={14}><path d="M12 4 2.5 20h19z" /><path d="M12 10v4.5M12 17.5v.01" /></Icon>;
export const ChevronIcon = () => <Icon size={14}><path d="m9 6 6 6-6 6" /></Icon>;
export const NetworkIcon = () => <Icon><rect x="9.5" y="3" width="5" height="5" rx="1" /><rect x="3" y="16" width="5" height="5" rx="1" /><rect x="16" y="16" width="5" height="5" rx="1" /><path d="M12 8v4M5.5 16v-4h13v4" /></Icon>;
export const GaugeIcon = () => <Icon><path d="M4.5 17a8 8 0 1 1 15 0" /><path d="m12 14 4-5" /><circle cx="12" cy="14.5" r="1" /></Icon>;
export const SearchIcon = () => <Icon size={14}><circle cx="11" cy="11" r="6.5" /><path d="m16 16 4 4" /></Icon>;

/** The Berth mark (as build/icons/icon.svg, simplified for small sizes): a container at its quay. */
export function BerthMark({ size = 24 }: { size?: number }) {
  return (
    <svg width={size} height={size} viewBox="0 0 32 32" aria-hidden="true" focusable="false">
      <rect x="1" y="1" width="30" height="30" rx="7.5" fill="var(--accent)" />
      <rect x="7.5" y="9" width="17" height="10" rx="1.4" fill="var(--on-accent)" />
      <path d="M12 11v6M16 11v6M20 11v6" stroke="var(--accent)" strokeWidth="1.6" strokeLinecap="round" />
      <path d="M6 22.5h20" stroke="var(--on-accent)" strokeWidth="1.8" strokeLinecap="round" />
    </svg>
  );
}
