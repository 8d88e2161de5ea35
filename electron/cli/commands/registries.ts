import type { Command } from '../command.js';
import { flagSet, flagValue, parseFlags } from '../parse-flags.js';
import { promptLine, readAllStdin } from '../prompt.js';

export const registryCommands: Record<string, Command> = {
  login: {
    usage: 'login [-u USER] [-p PASSWORD | --password-stdin] [SERVER]',
    summary: 'Log in to a registry (Docker Hub without SERVER)',
    async run(args, { client, out, err }) {
      const parsed = parseFlags(args, [{ name: 'username', short: 'u', value: true }, { name: 'password', short: 'p', value: true }, { name: 'password-stdin' }], false);
      if (parsed.positionals.length > 1) {
        err('"login" takes at most one registry: berth login [-u USER] [SERVER]');
        return 2;
      }
      const fromStdin = flagSet(parsed, 'password-stdin');
      let username = flagValue(parsed, 'username');
      if (fromStdin && !username) {
        err('--password-stdin needs the account too: berth login -u USER --password-stdin SERVER');
        return 2;
      }
      username ??= await promptLine('Username: ', false);
      let password = flagValue(parsed, 'password');
      if (password !== undefined && fromStdin) {
        err('give the password once: -p or --password-stdin, not both');
        return 2;
      }
      if (password !== undefined) err('WARNING! Using --password on the command line is insecure: use --password-stdin');
      password ??= fromStdin ? await readAllStdin() : await promptLine('Password: ', true);
      if (username === '' || password === '') {
        err('login needs a username and a password');
        return 2;
      }
      await (await client()).call('registries.login', { server: parsed.positionals[0] ?? '', username, password, save: true });
      out('Login Succeeded');
      return 0;
    },
  },
  logout: {
    usage: 'logout [SERVER]',
    summary: 'Forget the account for a registry',
    async run(args, { client, out }) {
      const { positionals } = parseFlags(args, [], false);
      const { server, removed } = await (await client()).call('registries.logout', { server: positionals[0] ?? '' });
      out(removed ? `Removed login credentials for ${server}` : `Not logged in to ${server}`);
      return 0;
    },
  },
};
