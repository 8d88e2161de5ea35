import { BerthError } from '../../shared/berth-error.js';
import type { ErrorCode } from '../../shared/errors.js';

export interface ErrorText {
  /** What happened, in a sentence. */
  title: string;
  /** The engine's own message: names the port, the image, the container. */
  detail: string;
  /** What to try next. */
  fix: string;
}

// Keyed by every code, so a new code in shared/errors.ts does not compile until it has a sentence.
const SENTENCES: Record<ErrorCode, { title: string; fix: string }> = {
  INVALID_ARGUMENT: { title: 'That request is not valid.', fix: 'Check the highlighted values and try again.' },
  INVALID_REFERENCE: { title: 'That image name is not valid.', fix: 'Use a reference like hello, busybox:1.36 or 127.0.0.1:5000/team/app:1.0.' },
  IMAGE_NOT_FOUND: { title: 'The image was not found.', fix: 'Check the name and tag, or pull the image first.' },
  REGISTRY_UNAUTHORIZED: { title: 'The registry refused access.', fix: 'Check the image name, or sign in to the registry.' },
  REGISTRY_ERROR: { title: 'The registry could not be reached, or it answered with an error.', fix: 'Check the registry address and the network, then try again.' },
  DIGEST_MISMATCH: { title: 'A download did not match its checksum.', fix: 'Pull again; if it repeats, the registry serves damaged data.' },
  UNSAFE_LAYER: { title: 'The image holds an unsafe layer, so it was not unpacked.', fix: 'Use an image from a source you trust.' },
  IMAGE_IN_USE: { title: 'A container still uses this image.', fix: 'Remove the containers that use it, then remove the image.' },
  BUILD_FAILED: { title: 'The image build failed.', fix: 'Read the step and its output below, fix the Dockerfile or the context, and build again.' },
  VOLUME_NOT_FOUND: { title: 'That volume does not exist.', fix: 'Check the name; berth volume ls lists the volumes.' },
  NETWORK_NOT_FOUND: { title: 'There is no such network.', fix: 'Check its name with berth network ls.' },
  NETWORK_IN_USE: { title: 'A container is still on this network.', fix: 'Stop or disconnect its containers, then remove the network.' },
  PATH_NOT_FOUND: { title: 'There is no such file or folder in the container.', fix: 'Check the path; the Files tab shows what is there.' },
  PATH_NOT_DIRECTORY: { title: 'That is not a folder.', fix: 'Pick a folder to copy into.' },
  PATH_NOT_FILE: { title: 'That is not a file.', fix: 'Download a folder as an archive instead.' },
  PATH_READ_ONLY: { title: 'That folder is read-only in the container.', fix: 'Copy into a folder the container may write, or mount it read-write.' },
  FILE_TOO_LARGE: { title: 'The file is too large to show here.', fix: 'Download it instead.' },
  VOLUME_IN_USE: { title: 'A container still uses this volume.', fix: 'Remove the containers that mount it, then remove the volume.' },
  CONTAINER_NOT_FOUND: { title: 'That container no longer exists.', fix: 'It was removed elsewhere; the list is already up to date.' },
  NAME_IN_USE: { title: 'That container name is already taken.', fix: 'Choose another name, or remove the container that has it.' },
  CONTAINER_RUNNING: { title: 'The container is running.', fix: 'Stop it first.' },
  CONTAINER_NOT_RUNNING: { title: 'The container is not running.', fix: 'Start it first.' },
  INVALID_SIGNAL: { title: 'That signal does not exist.', fix: 'Use a name like TERM or KILL.' },
  RUNTIME_MISSING: { title: 'No container runtime was found.', fix: 'Install runc (apt-get install runc), then restart Berth.' },
  RUNTIME_ERROR: { title: 'The container runtime reported an error.', fix: 'Read the message below; the container’s logs may say more.' },
  COMMAND_NOT_FOUND: { title: 'The container’s command was not found.', fix: 'Check the command and the image: the image may not have that program.' },
  COMMAND_NOT_RUNNABLE: { title: 'The container’s command may not be run.', fix: 'Check the command’s file and its permissions in the image.' },
  NETWORK_ERROR: { title: 'The container network could not be set up.', fix: 'Make sure iproute2 and iptables are installed and Berth runs as root.' },
  PORT_IN_USE: { title: 'A host port is already in use.', fix: 'Stop whatever holds it, or publish another port.' },
  ENGINE_NOT_RUNNING: { title: 'Berth’s engine is not reachable.', fix: 'Start it with npm start (or berth serve --web); this page reconnects by itself.' },
  ENGINE_ALREADY_RUNNING: { title: 'Another Berth engine already serves this home.', fix: 'Stop it first (the app or berth serve), or set BERTH_HOME.' },
  HOST_NOT_READY: { title: 'Berth’s Linux is not ready.', fix: 'Follow the advice in the message; the status line shows what Berth is doing.' },
  UNKNOWN_METHOD: { title: 'The engine does not know this request.', fix: 'The window and the engine are different versions: restart Berth.' },
  INTERNAL: { title: 'Something went wrong inside the engine.', fix: 'Try again; if it repeats, the message below helps a bug report.' },
};

/**
 * Turns any failure into sentences for the user: our sentence for the code, the engine's own words
 * for the specifics, and one fix (the engine's when it gave one, since it names the thing to act on).
 */
export function describeError(error: unknown): ErrorText {
  const berth = BerthError.from(error);
  const sentences = SENTENCES[berth.code] ?? SENTENCES.INTERNAL;
  return { title: sentences.title, detail: sentence(berth.message), fix: berth.fix ? sentence(berth.fix) : sentences.fix };
}

function sentence(text: string): string {
  return text.length === 0 ? text : `${text[0]!.toUpperCase()}${text.slice(1)}${/[.!?]$/.test(text) ? '' : '.'}`;
}
