import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { BerthError } from '../../shared/berth-error.js';
import { readJson, writeAtomically } from './docker-config-file.js';

/** The name Berth's context has in the docker CLI's store. */
export const CONTEXT_NAME = 'berth';

/**
 * Berth's context in the docker CLI's own store (`$DOCKER_CONFIG`, else `~/.docker`): its metadata
 * under `contexts/meta/<sha256 of the name>/meta.json`, as `docker context create` writes it, and the
 * `currentContext` of `config.json` when the user makes it the current one. Other keys of the user's
 * config are kept as they are.
 */
export class DockerContext {
  constructor(
    private readonly configDir: string,
    private readonly dockerHost: string,
  ) {}

  private get metaPath(): string {
    const id = createHash('sha256').update(CONTEXT_NAME).digest('hex');
    return join(this.configDir, 'contexts', 'meta', id, 'meta.json');
  }

  private get configPath(): string {
    return join(this.configDir, 'config.json');
  }

  /** (Re)writes the context, pointing at this engine's endpoint. */
  async write(): Promise<void> {
    const meta = { Name: CONTEXT_NAME, Metadata: { Description: 'Berth' }, Endpoints: { docker: { Host: this.dockerHost, SkipTLSVerify: false } } };
    await writeAtomically(this.metaPath, `${JSON.stringify(meta)}\n`);
  }

  async isCurrent(): Promise<boolean> {
    return (await readJson(this.configPath))?.currentContext === CONTEXT_NAME;
  }

  /**
   * Makes Berth's context the current one, or stops it being so (the CLI then uses its default). A
   * config.json that is not JSON is left alone: it is the user's, and the CLI would refuse it anyway.
   */
  async setCurrent(current: boolean): Promise<void> {
    const config = await readJson(this.configPath);
    if (config === undefined) throw new BerthError('INVALID_ARGUMENT', `${this.configPath} is not valid JSON`, { fix: 'fix or remove it, then try again' });
    if (current === (config.currentContext === CONTEXT_NAME)) return;
    const next = { ...config };
    if (current) next.currentContext = CONTEXT_NAME;
    else delete next.currentContext;
    await writeAtomically(this.configPath, `${JSON.stringify(next, null, '\t')}\n`);
  }
}
