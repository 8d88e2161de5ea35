import type { PullProgress, PushProgress } from '../../shared/images.js';
import { formatBytes } from '../format/bytes.js';
import { shortDigest } from '../format/image-name.js';

type LayerProgress = PullProgress | PushProgress;

const STATUS_TEXT: Record<LayerProgress['status'], string> = {
  preparing: 'Preparing',
  waiting: 'Waiting',
  pushing: 'Pushing',
  pushed: 'Pushed',
  exists: 'Already there',
  downloading: 'Downloading',
  verifying: 'Verifying',
  unpacking: 'Unpacking',
  done: 'Done',
  cached: 'Already here',
};

/** Keeps the latest progress per layer, in the order layers first appeared. */
export function mergeProgress<P extends LayerProgress>(list: P[], next: P): P[] {
  const at = list.findIndex((p) => p.layer === next.layer);
  if (at === -1) return [...list, next];
  const copy = [...list];
  copy[at] = next;
  return copy;
}

const FINISHED: ReadonlySet<LayerProgress['status']> = new Set(['done', 'cached', 'pushed', 'exists']);

function percent(p: LayerProgress): number {
  if (FINISHED.has(p.status)) return 100;
  return p.total > 0 ? Math.min(100, Math.round((p.current / p.total) * 100)) : 0;
}

/** One bar per layer of a pull or a push: its short digest, what is happening to it, and how far along it is. */
export function ProgressList({ progress, label }: { progress: LayerProgress[]; label: string }) {
  if (progress.length === 0) return null;
  return (
    <ul className="progress-list" aria-label={label}>
      {progress.map((p) => {
        const short = shortDigest(p.layer);
        const value = percent(p);
        return (
          <li key={p.layer} className={`progress-row progress-${p.status}`}>
            <span className="mono progress-layer">{short || 'image'}</span>
            <span className="progress-status">{STATUS_TEXT[p.status]}</span>
            <span className="progress-track" role="progressbar" aria-label={`Layer ${short}`} aria-valuemin={0} aria-valuemax={100} aria-valuenow={value}>
              <span className="progress-fill" style={{ width: `${value}%` }} />
            </span>
            <span className="progress-bytes mono">{p.total > 0 ? `${formatBytes(p.current)} / ${formatBytes(p.total)}` : ''}</span>
          </li>
        );
      })}
    </ul>
  );
}
