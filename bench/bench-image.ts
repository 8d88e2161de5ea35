import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { TestRegistry } from '../e2e/fixtures/registry.js';
import { buildBusyboxImage, exportOciArchive, type ImageSpec } from '../build/oci-image.js';
import type { BerthEngine } from './berth-engine.js';
import { runChecked, type CommandResult } from './timed-command.js';

export interface ImageArchives {
  layout: string;
  dockerArchive: string;
}

/** Builds a benchmark image once and writes it as a docker-save archive both engines load. */
export async function buildImageArchives(workDir: string, tag: string, dockerName: string, spec: ImageSpec): Promise<ImageArchives> {
  const layout = join(workDir, 'image-layout');
  await buildBusyboxImage(layout, tag, spec);
  const dockerArchive = join(workDir, 'busybox.docker.tar');
  await runChecked(['skopeo', 'copy', '--insecure-policy', '--quiet', `oci:${layout}:${tag}`, `docker-archive:${dockerArchive}:${dockerName}`], {
    timeoutMs: 120_000,
  });
  return { layout, dockerArchive };
}

/** Loads the archive into Berth (the OCI archive of the same image if the docker-save one is refused); returns the name to run. */
export async function loadIntoBerth(berth: BerthEngine, workDir: string, archives: ImageArchives, tag: string, log: (line: string) => void): Promise<string> {
  const loadedName = (result: CommandResult) => /Loaded image: (\S+)/.exec(result.stdout)?.[1];
  const first = await berth.cli(['load', '-i', archives.dockerArchive], 120_000);
  const name = first.code === 0 ? loadedName(first) : undefined;
  if (name) return name;
  log(`berth load of the docker-save archive failed (${first.stderr.trim() || first.stdout.trim()}); loading the OCI archive of the same image`);
  const ociArchive = join(workDir, 'busybox.oci.tar');
  await exportOciArchive(archives.layout, tag, ociArchive);
  const second = await berth.cli(['load', '-i', ociArchive], 120_000);
  const ociName = second.code === 0 ? loadedName(second) : undefined;
  if (!ociName) throw new Error(`berth load -i failed: exit ${second.code}: ${second.stderr.trim() || second.stdout.trim()}`);
  return ociName;
}

/**
 * A busybox base image pushed to `registry`, and a build context beside it: `megabytes` of random
 * bytes in data.bin and a Dockerfile FROM that base whose further `steps` follow. Answers both.
 */
export async function baseAndContext(workDir: string, registry: TestRegistry, megabytes: number, steps: string): Promise<{ base: string; context: string }> {
  const layout = join(workDir, 'base-layout');
  await buildBusyboxImage(layout, 'base', { cmd: ['sh'] });
  const base = await registry.push(layout, 'base', 'bench/base');
  const context = join(workDir, 'context');
  await mkdir(context);
  await writeFile(join(context, 'data.bin'), randomBytes(megabytes * 2 ** 20));
  await writeFile(join(context, 'Dockerfile'), `FROM ${base}\n${steps}`);
  return { base, context };
}
