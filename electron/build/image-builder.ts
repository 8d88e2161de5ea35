import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { isAbsolute, posix } from 'node:path';
import type { Readable } from 'node:stream';
import { BerthError } from '../../shared/berth-error.js';
import type { PruneReport } from '../../shared/disk-usage.js';
import type { BuildOptions, BuildRequest, Image } from '../../shared/images.js';
import { diskUsage } from '../host/disk-usage.js';
import type { Host } from '../host/host.js';
import { decompress } from '../images/decompress.js';
import type { ImageStore } from '../images/image-store.js';
import { familiarReference, normaliseReference, parseReference } from '../images/reference.js';
import { packContext, walkContext } from './build-context.js';
import { describeBuildFailure } from './build-failure.js';
import { Buildah } from './buildah.js';
import { baseImages } from './dockerfile-bases.js';

export interface ImageBuilderDeps {
  host: Host;
  images: ImageStore;
  contextLimit: number;
}

/**
 * Builds Dockerfiles with buildah where Linux runs. Berth's image store stays the one users see:
 * the base images go to buildah from it (pulled into it first when missing), and the result comes
 * back into it, so `run` finds a built image at once. Buildah keeps its own layer cache, so a
 * rebuild with nothing changed reuses every step.
 */
export class ImageBuilder {
  private readonly buildah: Buildah;
  /** Builds under way: the cache is not pruned under them. */
  private building = 0;

  constructor(private readonly deps: ImageBuilderDeps) {
    this.buildah = new Buildah(deps.host);
  }

  /** Bytes buildah's storage takes: base images and step layers it keeps between builds. */
  async cacheSize(): Promise<number> {
    const storage = this.buildah.storage;
    return (await diskUsage(this.deps.host, [storage])).get(storage) ?? 0;
  }

  /**
   * Docker's builder prune: empties buildah's storage (the next build gives it its bases again).
   * While a build runs nothing goes. A dry run only says the bytes it would free.
   */
  async pruneCache(dryRun: boolean): Promise<PruneReport> {
    const before = await this.cacheSize();
    if (this.building > 0 || before === 0) return { removed: [], spaceReclaimed: 0 };
    const listed = await this.buildah.exec(['images', '--all', '--quiet', '--no-trunc']);
    const images = listed.stdout.toString().split('\n').filter((line) => line !== '');
    if (dryRun) return { removed: images, spaceReclaimed: before };
    for (const args of [['rm', '--all'], ['rmi', '--all', '--force']]) {
      const result = await this.buildah.exec(args);
      if (result.code !== 0) throw new BerthError('INTERNAL', `emptying the build cache failed: ${Buildah.said(result)}`);
    }
    return { removed: images, spaceReclaimed: Math.max(0, before - (await this.cacheSize())) };
  }

  /** Builds a context on the engine's machine: a folder (`berth build`), or a tar of one (Docker's POST /build sends one). */
  async buildFrom(request: BuildRequest, onOutput: (text: string) => void): Promise<Image> {
    // Relative to what? The engine's working folder means nothing to its clients.
    if (!isAbsolute(request.context)) throw new BerthError('INVALID_ARGUMENT', `the build context ${request.context} is not an absolute path`);
    if (!request.contextIsArchive) {
      const dockerfile = contextPath(request.dockerfile);
      // Where Linux runs on this machine, buildah reads the folder where it is (honouring .dockerignore
      // itself): nothing is packed or copied. The walk still refuses a folder that is not one, or too big.
      if (this.deps.host.kind === 'local') {
        await walkContext(request.context, dockerfile, this.deps.contextLimit);
        return this.build({ folder: request.context }, request, onOutput);
      }
      return this.build({ tar: await packContext(request.context, dockerfile, this.deps.contextLimit) }, request, onOutput);
    }
    const size = (await stat(request.context).catch(() => undefined))?.size;
    if (size === undefined) throw new BerthError('INVALID_ARGUMENT', `the build context ${request.context} is not there`);
    if (size > this.deps.contextLimit) throw new BerthError('INVALID_ARGUMENT', `the build context is over ${Math.round(this.deps.contextLimit / 2 ** 20)} MiB`);
    return this.build({ tar: await decompress(createReadStream(request.context), 'the build context') }, request, onOutput);
  }

  /** Builds from a context tar (unpacked on the Linux side first), or a folder buildah reads in place. Leaves no context, container or archive behind. */
  private async build(source: { tar: Readable } | { folder: string }, options: BuildOptions, onOutput: (text: string) => void): Promise<Image> {
    const { host } = this.deps;
    const dockerfile = contextPath(options.dockerfile);
    const tags = options.tags.map((tag) => normaliseReference(tag));
    const work = `${this.buildah.dir}/work/${randomBytes(8).toString('hex')}`;
    this.building++;
    try {
      const context = 'folder' in source ? source.folder : `${work}/context`;
      await host.mkdir('tar' in source ? context : work);
      if ('tar' in source) {
        const unpacked = await host.pipeIn(['tar', '-x', '--no-same-owner', '-C', context], source.tar);
        if (unpacked.code !== 0) throw new BerthError('INVALID_ARGUMENT', `the build context is not a readable tar: ${unpacked.stderr.toString().trim()}`);
      }
      const text = await host.readFile(`${context}/${dockerfile}`).catch(() => {
        throw new BerthError('INVALID_ARGUMENT', `there is no ${dockerfile} in the build context`, { fix: 'name the Dockerfile with -f, relative to the context' });
      });
      for (const base of baseImages(text.toString(), options.buildArgs)) await this.giveBase(base, options.pull, work, onOutput);
      await this.bud(work, context, dockerfile, tags, options, onOutput).catch((err: unknown) => {
        const error = BerthError.from(err);
        throw error.code === 'BUILD_FAILED' ? new BerthError('BUILD_FAILED', describeBuildFailure(error.message, text.toString(), context)) : error;
      });
      const id = (await host.readFile(`${work}/iid`)).toString().trim().replace(/^sha256:/, '');
      // A rebuild that changed nothing made an image the store holds already: it only takes the tags.
      const known = await this.deps.images.resolve(`sha256:${id}`);
      const image = known ? (tags.length > 0 ? await this.deps.images.tag(known.id, tags) : known) : await this.bringBack(id, tags, work);
      onOutput(`Successfully built ${image.id.replace(/^sha256:/, '').slice(0, 12)}\n`);
      for (const tag of tags) onOutput(`Successfully tagged ${familiarReference(parseReference(tag))}\n`);
      return image;
    } finally {
      this.building--;
      await host.remove(work).catch(() => {});
    }
  }

  /** Puts a base image in buildah's storage under its name, from Berth's store, unless it is there already. */
  private async giveBase(reference: string, pull: boolean, work: string, onOutput: (text: string) => void): Promise<void> {
    let name: string;
    try {
      name = normaliseReference(reference);
    } catch (err) {
      throw new BerthError('INVALID_ARGUMENT', `the Dockerfile builds FROM "${reference}", which is not an image name: ${BerthError.from(err).message}`);
    }
    let announced = false;
    const familiar = familiarReference(parseReference(name));
    const image = await this.deps.images
      .ensure(name, pull ? 'always' : 'missing', () => {
        if (!announced) onOutput(`Pulling ${familiar}\n`);
        announced = true;
      })
      .catch((err: unknown) => {
        const error = BerthError.from(err);
        throw new BerthError(error.code, `base image ${familiar}: ${error.message}`, { fix: error.fix });
      });
    const hex = image.id.replace(/^sha256:/, '');
    // Naming it is the usual case (buildah has it from an earlier build); only an unknown id is handed over.
    if ((await this.buildah.exec(['tag', hex, name])).code === 0) return;
    const archive = `${work}/base.tar`;
    const written = await this.deps.host.pipeIn(['sh', '-c', 'exec cat > "$1"', 'berth-base', archive], await this.deps.images.exportArchive(image, name));
    if (written.code !== 0) throw new BerthError('INTERNAL', `handing ${name} to the builder failed: ${written.stderr.toString().trim()}`);
    const pulled = await this.buildah.exec(['pull', '--quiet', `oci-archive:${archive}`]);
    await this.deps.host.remove(archive);
    if (pulled.code !== 0) throw new BerthError('BUILD_FAILED', `the builder could not take base image ${name}: ${Buildah.said(pulled)}`);
    const tagged = await this.buildah.exec(['tag', hex, name]);
    if (tagged.code !== 0) throw new BerthError('BUILD_FAILED', `the builder could not name base image ${name}: ${Buildah.said(tagged)}`);
  }

  /** Runs the build, streaming its output; a failure is one line: the step and what it said. */
  private async bud(work: string, context: string, dockerfile: string, tags: string[], options: BuildOptions, onOutput: (text: string) => void): Promise<void> {
    const args = ['bud', '--format', 'docker', '--layers', '--pull=never', '--force-rm', '--iidfile', `${work}/iid`, '-f', `${context}/${dockerfile}`];
    for (const tag of tags) args.push('-t', tag);
    for (const [key, value] of Object.entries(options.buildArgs)) args.push('--build-arg', `${key}=${value}`);
    for (const [key, value] of Object.entries(options.labels)) args.push('--label', `${key}=${value}`);
    if (options.target) args.push('--target', options.target);
    if (options.noCache) args.push('--no-cache');
    args.push(context);
    const build = await this.buildah.spawn(args);
    const tail: string[] = [];
    const follow = (stream: Readable | null) => {
      let partial = '';
      stream?.on('data', (chunk: Buffer) => {
        const lines = (partial + chunk.toString()).split('\n');
        partial = lines.pop()!;
        for (const line of lines) {
          // buildah's log records (Go dumps) are kept for the failure's line, not shown; its closing
          // lines give way to Docker's, written once the image is in Berth's store.
          if (!UNSHOWN.test(line)) onOutput(`${line}\n`);
          tail.push(line);
          if (tail.length > 50) tail.shift();
        }
      });
    };
    follow(build.stdout);
    follow(build.stderr);
    const code = await build.exited;
    if (code !== 0) throw new BerthError('BUILD_FAILED', Buildah.said({ stdout: Buffer.from(tail.join('\n')), stderr: Buffer.alloc(0) }));
  }

  /**
   * The built image into Berth's store, with every tag: it crosses from the Linux side as a
   * docker-save archive (which keeps HEALTHCHECK), streamed from buildah straight into the store
   * through a FIFO (buildah cannot open a socket as its output file, which a spawned stdout is).
   */
  private async bringBack(id: string, tags: string[], work: string): Promise<Image> {
    const { host } = this.deps;
    const fifo = `${work}/image.fifo`;
    const made = await host.exec(['mkfifo', '-m', '600', fifo]);
    if (made.code !== 0) throw new BerthError('INTERNAL', `the built image could not be passed on: ${made.stderr.toString().trim()}`);
    const reader = host.spawn(['cat', fifo]);
    const push = await this.buildah.spawn(['push', '--quiet', id, `docker-archive:${fifo}${tags[0] ? `:${tags[0]}` : ''}`]);
    let said = '';
    push.stderr?.on('data', (chunk: Buffer) => (said = (said + chunk.toString()).slice(-4096)));
    // Whichever side gives up stops the other, rather than leave it blocked on the FIFO.
    const loading = this.deps.images.load({ stream: reader.stdout!, what: 'the built image' }).then(
      (images) => ({ images }),
      (error: unknown) => (push.kill(), { error }),
    );
    const code = await push.exited;
    if (code !== 0) reader.kill();
    const outcome = await loading;
    await reader.exited;
    // When buildah failed and said why, its words explain the store's cut-short archive too.
    if (code !== 0 && said.trim() !== '') throw new BerthError('BUILD_FAILED', `the built image could not be exported: ${Buildah.said({ stdout: Buffer.alloc(0), stderr: Buffer.from(said) })}`);
    if ('error' in outcome) throw outcome.error;
    const [loaded] = outcome.images;
    if (code !== 0 || !loaded) throw new BerthError('INTERNAL', `the built image could not be exported (buildah exited with ${code})`);
    return tags.length > 1 ? this.deps.images.tag(loaded.id, tags.slice(1)) : loaded;
  }
}

const UNSHOWN = /^time="[^"]*" level=|^Successfully tagged |^[0-9a-f]{64}$/;

/** A path within the context, as given (`-f docker/Dockerfile.dev`); one that leaves the context is refused. */
function contextPath(path: string): string {
  const normal = posix.normalize(path.replaceAll('\\', '/'));
  if (normal.startsWith('/') || normal === '..' || normal.startsWith('../')) {
    throw new BerthError('INVALID_ARGUMENT', `the Dockerfile ${path} is outside the build context`, { fix: 'give its path relative to the context' });
  }
  return normal;
}
