import { useCallback, useRef, useState } from 'react';
import { BerthError } from '../../../shared/berth-error.js';
import type { Container } from '../../../shared/containers.js';
import type { FileListing, PathStat } from '../../../shared/files.js';
import { DEFAULT_SETTINGS } from '../../../shared/settings.js';
import { client } from '../../api/client.js';
import { fetchContainerPath, uploadToContainer } from '../../api/container-files.js';
import { describeError, type ErrorText } from '../../api/error-text.js';
import { saveDownload } from '../../api/save-download.js';
import { Button } from '../../components/button.js';
import { ErrorMessage } from '../../components/error-message.js';
import { IconButton } from '../../components/icon-button.js';
import { useLoaded } from '../../components/use-loaded.js';
import { useRequest } from '../../components/use-request.js';
import { CloseIcon, DownloadIcon, FolderIcon, LogsIcon, RestartIcon, UploadIcon } from '../../components/icons.js';
import { decodeBase64 } from '../../format/base64.js';
import { formatBytes } from '../../format/bytes.js';
import { childPath, modeText, pathCrumbs } from '../../format/file-mode.js';
import { useSettings } from '../../store/settings-store.js';

/** Bytes with a NUL, or that are not UTF-8, are not shown as text. */
function asText(bytes: Uint8Array): string | undefined {
  if (bytes.subarray(0, 8192).includes(0)) return undefined;
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return undefined;
  }
}

function baseName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

/** What a download is saved as: a folder as a tar of it (the root's called root.tar). */
function downloadName(path: string, archive: boolean): string {
  const name = baseName(path) || 'root';
  return archive ? `${name}.tar` : name;
}

function EntryName({ entry, onOpen }: { entry: PathStat; onOpen: () => void }) {
  const icon = entry.type === 'directory' ? <FolderIcon /> : <LogsIcon />;
  return (
    <button type="button" className={`file-name file-${entry.type}`} onClick={onOpen}>
      {icon}
      <span>{entry.name}</span>
      {entry.type === 'symlink' && <span className="muted file-link">→ {entry.linkTarget}</span>}
    </button>
  );
}

interface PreviewProps {
  id: string;
  path: string;
  maxBytes: number;
  onDownload: () => Promise<void>;
  onError: (error: unknown) => void;
  onClose: () => void;
}

function Preview({ id, path, maxBytes, onDownload, onError, onClose }: PreviewProps) {
  const content = useLoaded(`${id}\0${path}\0${maxBytes}`, async () => {
    const { base64, size } = await client.call('containers.files.read', { id, path, maxBytes });
    return { text: asText(decodeBase64(base64)), size };
  });
  const name = baseName(path);
  return (
    <aside className="file-preview" aria-label={`Preview of ${name}`}>
      <header>
        <h2 className="mono">{name}</h2>
        {content.phase === 'ready' && <span className="muted">{formatBytes(content.value.size)}</span>}
        <IconButton label={`Download ${name}`} icon={<DownloadIcon />} onAction={onDownload} onError={onError} />
        <IconButton label="Close the preview" icon={<CloseIcon />} onAction={async () => onClose()} />
      </header>
      {content.phase === 'loading' && <p className="page-empty">Loading…</p>}
      {content.phase === 'failed' && <ErrorMessage error={content.error} />}
      {content.phase === 'ready' &&
        (content.value.text === undefined ? (
          <p className="page-empty">A binary file of {formatBytes(content.value.size)}: download it to look inside.</p>
        ) : (
          <pre className="file-text mono" tabIndex={0}>
            {content.value.text}
          </pre>
        ))}
    </aside>
  );
}

interface ListingProps {
  listing: FileListing;
  /** The entry open beside the list, if any. */
  opened: string | undefined;
  onOpen: (entry: PathStat) => void;
  onDownload: (entry: PathStat) => Promise<void>;
  onError: (error: unknown) => void;
}

function Listing({ listing, opened, onOpen, onDownload, onError }: ListingProps) {
  if (listing.total === 0) return <p className="page-empty">This folder is empty.</p>;
  return (
    <>
      <table className="file-table" aria-label={`Files in ${listing.path}`}>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col" className="num">
              Size
            </th>
            <th scope="col" className="file-detail">
              Mode
            </th>
            <th scope="col" className="file-detail">
              Owner
            </th>
            <th scope="col">Modified</th>
            <th scope="col">
              <span className="sr-only">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {listing.entries.map((entry) => (
            <tr key={entry.name} aria-current={entry.name === opened ? 'true' : undefined}>
              <th scope="row">
                <EntryName entry={entry} onOpen={() => onOpen(entry)} />
              </th>
              <td className="num mono">{entry.type === 'file' ? formatBytes(entry.size) : ''}</td>
              <td className="mono file-detail">{modeText(entry.type, entry.mode)}</td>
              <td className="mono file-detail">
                {entry.uid}:{entry.gid}
              </td>
              <td>
                <time dateTime={entry.mtime} title={entry.mtime}>
                  {new Date(entry.mtime).toLocaleString()}
                </time>
              </td>
              <td className="file-action">
                <IconButton label={`Download ${entry.name}`} icon={<DownloadIcon />} onAction={() => onDownload(entry)} onError={onError} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {listing.total > listing.entries.length && (
        <p className="page-empty" role="status">
          Showing the first {listing.entries.length.toLocaleString()} of {listing.total.toLocaleString()} entries; berth cp copies them all.
        </p>
      )}
    </>
  );
}

/**
 * The container's filesystem, running or stopped: folders to walk, a text file opened in place,
 * a file or folder (as tar) downloaded, a file uploaded into the folder shown.
 */
export function FilesTab({ container }: { container: Container }) {
  const id = container.id;
  const maxBytes = useSettings((s) => s.settings?.filePreviewBytes ?? DEFAULT_SETTINGS.filePreviewBytes);
  const [folder, setFolder] = useState('/');
  const [opened, setOpened] = useState<string>();
  const [reloads, setReloads] = useState(0);
  const [problem, setProblem] = useState<ErrorText>();
  const [uploading, setUploading] = useState(false);
  const picker = useRef<HTMLInputElement>(null);
  // A start or stop changes which root the files come from: list again.
  const listing = useLoaded(`${id}\0${folder}\0${reloads}\0${container.state.status}`, () => client.call('containers.files.list', { id, path: folder }));

  const report = useCallback((error: unknown) => setProblem(describeError(error)), []);
  const go = (path: string) => {
    setFolder(path);
    setOpened(undefined);
    setProblem(undefined);
  };

  const download = async (path: string, archive: boolean) => {
    setProblem(undefined);
    const { blob } = await fetchContainerPath(id, path, archive);
    saveDownload(downloadName(path, archive), blob);
  };
  const [savingFolder, saveFolder] = useRequest(() => download(folder, true), report);

  // A symlink opens as what it points to: a folder to walk, else a file to preview.
  const open = (entry: PathStat) => {
    const path = childPath(folder, entry.name);
    if (entry.type === 'directory') return go(path);
    if (entry.type !== 'symlink') return setOpened(path);
    client.call('containers.files.list', { id, path, limit: 1 }).then(
      () => go(path),
      (error: unknown) => (BerthError.from(error).code === 'PATH_NOT_DIRECTORY' ? setOpened(path) : report(error)),
    );
  };

  const upload = (files: FileList | null) => {
    const file = files?.[0];
    if (!file) return;
    setUploading(true);
    setProblem(undefined);
    uploadToContainer(id, folder, file)
      .then(() => setReloads((n) => n + 1), report)
      .finally(() => setUploading(false));
  };

  return (
    <section className="files-tab" aria-label={`Files of ${container.name}`}>
      <div className="files-tools" role="toolbar" aria-label="File tools">
        <nav aria-label="Folder" className="path-crumbs mono">
          {pathCrumbs(folder).map(([name, path], index, crumbs) =>
            index === crumbs.length - 1 ? (
              <span key={path} aria-current="location">
                {name}
              </span>
            ) : (
              <button key={path} type="button" className="link-button" onClick={() => go(path)}>
                {name}
              </button>
            ),
          )}
        </nav>
        <IconButton label="Refresh" icon={<RestartIcon />} onAction={async () => setReloads((n) => n + 1)} />
        <Button icon={<UploadIcon />} busy={uploading} onClick={() => picker.current?.click()}>
          Upload file
        </Button>
        <input
          ref={picker}
          type="file"
          hidden
          aria-label="File to upload"
          onChange={(e) => {
            upload(e.target.files);
            e.target.value = '';
          }}
        />
        <Button icon={<DownloadIcon />} busy={savingFolder} onClick={saveFolder}>
          Download folder
        </Button>
      </div>
      {problem && <ErrorMessage error={problem} onDismiss={() => setProblem(undefined)} />}
      <div className={`files-body${opened ? ' with-preview' : ''}`}>
        <div className="files-list">
          {listing.phase === 'loading' && <p className="page-empty">Loading…</p>}
          {listing.phase === 'failed' && <ErrorMessage error={listing.error} />}
          {listing.phase === 'ready' && (
            <Listing listing={listing.value} opened={opened && baseName(opened)} onOpen={open} onDownload={(entry) => download(childPath(folder, entry.name), entry.type === 'directory')} onError={report} />
          )}
        </div>
        {opened && (
          <Preview
            id={id}
            path={opened}
            maxBytes={maxBytes}
            onDownload={() => download(opened, false)}
            onError={report}
            onClose={() => setOpened(undefined)}
          />
        )}
      </div>
    </section>
  );
}
