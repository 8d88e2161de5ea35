import { resolve } from 'node:path';
import { BerthError } from '../../../shared/berth-error.js';
import type { PullProgress, PushProgress } from '../../../shared/images.js';
import { familiarReference } from '../../images/reference.js';
import type { Command } from '../command.js';
import { ago, bytes, shortId, table } from '../format.js';
import { flagPairs, flagSet, flagValue, flagValues, parseFlags } from '../parse-flags.js';

/** One line per layer as it changes, as `docker pull` and `docker push` print in a non-terminal. */
export function progressPrinter(err: (text: string) => void): (p: PullProgress | PushProgress) => void {
  const last = new Map<string, string>();
  return (p) => {
    if (last.get(p.layer) === p.status) return;
    last.set(p.layer, p.status);
    const size = p.total > 0 ? ` ${bytes(p.total)}` : '';
    err(`${shortId(p.layer)}: ${p.status}${size}`);
  };
}

export const imageCommands: Record<string, Command> = {
  pull: {
    usage: 'pull IMAGE',
    summary: 'Download an image from a registry',
    async run(args, { client, out, err }) {
      const { positionals } = parseFlags(args, [], false);
      const reference = positionals[0];
      if (!reference || positionals.length > 1) {
        err('"pull" needs exactly one image: berth pull IMAGE');
        return 2;
      }
      const image = await (await client()).call('images.pull', { reference }, progressPrinter(err));
      out(`Digest: ${image.manifestDigest}`);
      out(image.names[0] ?? image.id);
      return 0;
    },
  },
  push: {
    usage: 'push NAME[:TAG]',
    summary: 'Send an image to its registry',
    async run(args, { client, out, err }) {
      const { positionals } = parseFlags(args, [], false);
      const reference = positionals[0];
      if (!reference || positionals.length > 1) {
        err('"push" needs exactly one image name: berth push NAME[:TAG]');
        return 2;
      }
      out(`The push refers to repository [${familiarReference(reference).replace(/[:@][^/]*$/, '')}]`);
      const pushed = await (await client()).call('images.push', { reference }, progressPrinter(err));
      out(`${pushed.reference.slice(pushed.reference.lastIndexOf(':') + 1)}: digest: ${pushed.digest} size: ${pushed.size}`);
      return 0;
    },
  },
  build: {
    usage: 'build [-t NAME[:TAG]]... [-f FILE] [--build-arg K=V]... [--target STAGE] [--label K=V]... [--no-cache] [--pull] [-q] CONTEXT',
    summary: 'Build an image from a Dockerfile',
    async run(args, { client, out, err }) {
      const parsed = parseFlags(
        args,
        [
          { name: 'tag', short: 't', value: true, repeat: true },
          { name: 'file', short: 'f', value: true },
          { name: 'build-arg', value: true, repeat: true },
          { name: 'target', value: true },
          { name: 'label', value: true, repeat: true },
          { name: 'no-cache' },
          { name: 'pull' },
          { name: 'quiet', short: 'q' },
        ],
        false,
      );
      const context = parsed.positionals[0];
      if (!context || parsed.positionals.length > 1) {
        err('"build" needs exactly one context folder: berth build [-t NAME] CONTEXT');
        return 2;
      }
      const quiet = flagSet(parsed, 'quiet');
      const image = await (await client()).call(
        'images.build',
        {
          context: resolve(context),
          dockerfile: flagValue(parsed, 'file') ?? 'Dockerfile',
          tags: flagValues(parsed, 'tag'),
          buildArgs: flagPairs(parsed, 'build-arg', (key) => process.env[key]),
          target: flagValue(parsed, 'target'),
          labels: flagPairs(parsed, 'label'),
          noCache: flagSet(parsed, 'no-cache'),
          pull: flagSet(parsed, 'pull'),
        },
        ({ text }) => {
          // The builder's lines, as `docker build` prints them.
          if (!quiet) out(text.replace(/\n$/, ''));
        },
      );
      if (quiet) out(image.id);
      return 0;
    },
  },
  images: {
    usage: 'images [-q] [--json]',
    summary: 'List images',
    async run(args, { client, out }) {
      const parsed = parseFlags(args, [{ name: 'quiet', short: 'q' }, { name: 'json' }], false);
      const images = await (await client()).call('images.list', {});
      if (flagSet(parsed, 'json')) out(JSON.stringify(images, null, 2));
      else if (flagSet(parsed, 'quiet')) images.forEach((i) => out(shortId(i.id)));
      else {
        const rows = images.flatMap((image) =>
          (image.names.length ? image.names : ['<none>:<none>']).map((name) => {
            const familiar = name === '<none>:<none>' ? name : familiarReference(name);
            const at = familiar.lastIndexOf(':');
            return [familiar.slice(0, at), familiar.slice(at + 1), shortId(image.id), ago(image.created), bytes(image.size)];
          }),
        );
        out(table(['REPOSITORY', 'TAG', 'IMAGE ID', 'CREATED', 'SIZE'], rows));
      }
      return 0;
    },
  },
  history: {
    usage: 'history [--no-trunc] [--json] IMAGE',
    summary: 'Show how an image was made, newest step first',
    async run(args, { client, out, err }) {
      const parsed = parseFlags(args, [{ name: 'no-trunc' }, { name: 'json' }], false);
      const [reference, ...extra] = parsed.positionals;
      if (!reference || extra.length > 0) {
        err('"history" needs exactly one image: berth history IMAGE');
        return 2;
      }
      const { id, steps } = await (await client()).call('images.history', { reference });
      steps.reverse();
      if (flagSet(parsed, 'json')) {
        out(JSON.stringify(steps, null, 2));
        return 0;
      }
      const full = flagSet(parsed, 'no-trunc');
      const rows = steps.map((step, index) => {
        const by = step.createdBy.replace(/\s+/g, ' ');
        return [index > 0 ? '<missing>' : full ? id : shortId(id), ago(step.created), full || by.length <= 45 ? by : `${by.slice(0, 44)}…`, bytes(step.size), step.comment];
      });
      out(table(['IMAGE', 'CREATED', 'CREATED BY', 'SIZE', 'COMMENT'], rows));
      return 0;
    },
  },
  load: {
    usage: 'load -i FILE',
    summary: 'Load images from an OCI or docker-save archive',
    async run(args, { client, out, err }) {
      const parsed = parseFlags(args, [{ name: 'input', short: 'i', value: true }], false);
      const path = flagValue(parsed, 'input');
      if (!path) {
        err('"load" needs an archive: berth load -i FILE');
        return 2;
      }
      const images = await (await client()).call('images.load', { path: resolve(path) });
      for (const image of images) out(`Loaded image: ${image.names[0] ? familiarReference(image.names[0]) : image.id}`);
      return 0;
    },
  },
  tag: {
    usage: 'tag SOURCE TARGET',
    summary: 'Give an image another name',
    async run(args, { client, err }) {
      const { positionals } = parseFlags(args, [], false);
      const [source, target] = positionals;
      if (!source || !target || positionals.length > 2) {
        err('"tag" needs an image and its new name: berth tag SOURCE TARGET');
        return 2;
      }
      await (await client()).call('images.tag', { source, target });
      return 0;
    },
  },
  rmi: {
    usage: 'rmi IMAGE...',
    summary: 'Remove images',
    async run(args, { client, out, err: err_ }) {
      const { positionals } = parseFlags(args, [], false);
      const api = await client();
      let status = 0;
      for (const reference of positionals) {
        try {
          const image = await api.call('images.remove', { reference });
          out(`Untagged: ${reference}`);
          if (image.names.length === 0) out(`Deleted: ${image.id}`);
        } catch (err) {
          err_(`Error: ${BerthError.from(err).line}`);
          status = 1;
        }
      }
      return status;
    },
  },
};
