import type { Image } from '../../shared/images.js';
import { client } from '../api/client.js';
import { IconButton } from '../components/icon-button.js';
import { PlayIcon, TrashIcon, UploadIcon } from '../components/icons.js';
import { familiarName, shortDigest } from '../format/image-name.js';
import { useNotices } from '../store/notices-store.js';
import { useUi } from '../store/ui-store.js';

/** What can be done to an image, in its list row and on its page; Push is offered where its pane can open. */
export function ImageActions({ image, usedBy, onPush, onRemoved }: { image: Image; usedBy: number; onPush?: () => void; onRemoved?: () => void }) {
  const short = imageTitle(image);
  return (
    <div className="row-actions" role="group" aria-label={`Actions for ${short}`}>
      <IconButton label="Run" icon={<PlayIcon />} onAction={async () => useUi.getState().openRun(image.names.length > 0 ? short.replace(/:latest$/, '') : shortDigest(image.id))} />
      {onPush && (
        <IconButton label="Push" icon={<UploadIcon />} onAction={async () => onPush()} unavailable={image.names.length === 0 ? 'give it a name first (berth tag)' : undefined} />
      )}
      <IconButton
        label="Remove"
        tone="danger"
        icon={<TrashIcon />}
        onAction={async () => {
          await client.call('images.remove', { reference: image.id });
          onRemoved?.();
        }}
        onError={(error) => useNotices.getState().report(`Remove ${short}`, error)}
        unavailable={usedBy > 0 ? 'remove the containers that use it first' : undefined}
      />
    </div>
  );
}

/** An image as a person names it: its first name, familiar; `<none>` for a dangling one. */
export function imageTitle(image: Image): string {
  return familiarName(image.names[0] ?? '<none>');
}
