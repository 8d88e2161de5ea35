import { BerthError } from '../../../shared/berth-error.js';
import type { ErrorCode } from '../../../shared/errors.js';
import { DockerError } from './docker-call.js';

/** Each stable code's HTTP status, as dockerd answers the same failure. */
const STATUS: Partial<Record<ErrorCode, number>> = {
  INVALID_ARGUMENT: 400,
  INVALID_REFERENCE: 400,
  INVALID_SIGNAL: 400,
  UNKNOWN_METHOD: 400,
  IMAGE_NOT_FOUND: 404,
  CONTAINER_NOT_FOUND: 404,
  VOLUME_NOT_FOUND: 404,
  REGISTRY_UNAUTHORIZED: 401,
  NAME_IN_USE: 409,
  CONTAINER_RUNNING: 409,
  CONTAINER_NOT_RUNNING: 409,
  IMAGE_IN_USE: 409,
  VOLUME_IN_USE: 409,
  NETWORK_NOT_FOUND: 404,
  NETWORK_IN_USE: 409,
  PATH_NOT_FOUND: 404,
  PATH_NOT_DIRECTORY: 400,
  PATH_NOT_FILE: 400,
  PATH_READ_ONLY: 403,
  FILE_TOO_LARGE: 413,
  HOST_NOT_READY: 503,
  ENGINE_NOT_RUNNING: 503,
};

/** What the request named, so a 404 reads as Docker's ("No such container: web"), which docker-py matches on. */
export interface Subject {
  kind: 'container' | 'image' | 'volume';
  ref: string;
}

const NOT_FOUND: Record<Subject['kind'], ErrorCode> = { container: 'CONTAINER_NOT_FOUND', image: 'IMAGE_NOT_FOUND', volume: 'VOLUME_NOT_FOUND' };

/** Any error as Docker's status and one line: Berth's message and fix, or Docker's words where clients read them. */
export function toDockerError(err: unknown, subject?: Subject): DockerError {
  if (err instanceof DockerError) return err;
  const error = BerthError.from(err);
  const status = STATUS[error.code] ?? 500;
  if (subject && error.code === NOT_FOUND[subject.kind]) {
    const words = subject.kind === 'volume' ? `get ${subject.ref}: no such volume` : `No such ${subject.kind}: ${subject.ref}`;
    return new DockerError(404, words);
  }
  return new DockerError(status, error.line);
}
