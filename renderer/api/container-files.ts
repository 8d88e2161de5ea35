import { BerthError } from '../../shared/berth-error.js';
import { MAX_UPLOAD_BYTES, type PathStat } from '../../shared/files.js';
import { decodeBase64, encodeBase64 } from '../format/base64.js';
import { formatBytes } from '../format/bytes.js';
import { client } from './client.js';

/** A path's bytes as the engine streams them: a file alone, or anything as Docker's tar of it. */
export async function fetchContainerPath(id: string, path: string, archive: boolean): Promise<{ stat: PathStat; blob: Blob }> {
  const chunks: Uint8Array<ArrayBuffer>[] = [];
  const stat = await client.call('containers.files.get', { id, path, archive }, { onItem: ({ base64 }) => chunks.push(decodeBase64(base64)) });
  return { stat, blob: new Blob(chunks, { type: archive ? 'application/x-tar' : 'application/octet-stream' }) };
}

/** Sends one file of this machine into a folder of the container, under its own name. */
export async function uploadToContainer(id: string, folder: string, file: File): Promise<void> {
  if (file.size > MAX_UPLOAD_BYTES) {
    throw new BerthError('FILE_TOO_LARGE', `${file.name} is ${formatBytes(file.size)}; the app uploads files up to ${formatBytes(MAX_UPLOAD_BYTES)}`, {
      fix: `copy it with berth cp ${file.name} CONTAINER:${folder}`,
    });
  }
  const base64 = encodeBase64(new Uint8Array(await file.arrayBuffer()));
  await client.call('containers.files.put', { id, path: folder, source: { kind: 'file', name: file.name, base64 } });
}
