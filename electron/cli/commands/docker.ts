import type { DockerAccess } from '../../../shared/docker-access.js';
import type { Command, CommandContext } from '../command.js';
import { flagSet, parseFlags } from '../parse-flags.js';

const LINK_STATES: Record<DockerAccess['link']['state'], string> = {
  linked: 'links to Berth',
  absent: 'not linked (berth docker-socket --link makes it)',
  taken: "held by something else (left alone)",
  unsupported: 'not on this host',
};

function show(access: DockerAccess, { out }: CommandContext): void {
  out(`Docker API:  ${access.endpoint}`);
  out(`DOCKER_HOST: export DOCKER_HOST=${access.dockerHost}`);
  out(`Context:     docker --context ${access.context.name} ...${access.context.current ? ' (the current context)' : ''}`);
  out(`${access.link.path}: ${LINK_STATES[access.link.state]}`);
}

/** `berth docker-socket`: where Docker's clients reach Berth, and the opt-in link at the well-known socket path. */
export const dockerCommands: Record<string, Command> = {
  'docker-socket': {
    usage: 'docker-socket [--link | --unlink]',
    summary: "Where the docker CLI and Docker's tools reach Berth; --link makes /var/run/docker.sock point at it",
    async run(args, context) {
      const parsed = parseFlags(args, [{ name: 'link' }, { name: 'unlink' }], false);
      if (parsed.positionals.length > 0 || (flagSet(parsed, 'link') && flagSet(parsed, 'unlink'))) {
        context.err(`berth: usage: berth ${this.usage}`);
        return 2;
      }
      const api = await context.client();
      const linked = flagSet(parsed, 'link') ? true : flagSet(parsed, 'unlink') ? false : undefined;
      show(linked === undefined ? await api.call('docker.status', {}) : await api.call('docker.link', { linked }), context);
      return 0;
    },
  },
};
