import { BerthError } from '../../shared/berth-error.js';
import type { Host } from '../host/host.js';

/** Where Debian's aardvark-dns package (Podman's name server) puts it. */
export const AARDVARK_DNS = '/usr/lib/podman/aardvark-dns';

/** One network's names: the gateway its containers ask, and each running container's address and names there. */
export interface NameTable {
  networkId: string;
  gateway: string;
  entries: { containerId: string; address: string; names: string[] }[];
}

/**
 * Runs on the Linux side, tables on stdin (`@@ FILE` then its lines, for each network). Each file is
 * made beside the folder and renamed in, since aardvark-dns dies on a half-written one when it
 * reloads; files of networks no longer listed go. Then the server reloads (SIGHUP), starts when none
 * runs (it forks itself and outlives the engine, as the containers do), or stops when no table is
 * left. It binds each gateway after it reports its pid, so the script waits until every gateway is
 * bound (/proc/net/udp, addresses in the kernel's byte order) before the containers may ask.
 */
const SYNC_SCRIPT = `
d=$1 bin=$2 n="$1.next"
# Shell built-ins where they do: each process is a fork and an exec on the path of every start and stop.
{ [ ! -e "$n" ] || rm -rf "$n"; } && { [ -d "$d" ] || mkdir -p "$d"; } && mkdir "$n" || exit 3
awk -v n="$n" '/^@@ /{f=n "/" $2; printf "" > f; next} {print > f}' || exit 3
keep=" "
for f in "$n"/*; do [ -f "$f" ] || continue; keep="$keep\${f##*/} "; mv -f "$f" "$d/" || exit 3; done
for f in "$d"/*; do b=\${f##*/}; [ "$b" = aardvark.pid ] && continue; case "$keep" in *" $b "*) ;; *) rm -f "$f";; esac; done
rmdir "$n"
pid= comm= alive=
[ -f "$d/aardvark.pid" ] && read -r pid <"$d/aardvark.pid"
[ -n "$pid" ] && { read -r comm <"/proc/$pid/comm"; } 2>/dev/null
[ "$comm" = aardvark-dns ] && alive=1
if [ "$keep" = " " ]; then [ -n "$alive" ] && kill "$pid"; rm -f "$d/aardvark.pid"; exit 0; fi
if [ -n "$alive" ]; then kill -HUP "$pid"; else rm -f "$d/aardvark.pid"; "$bin" --config "$d" -p 53 run </dev/null >/dev/null 2>&1 || exit 4; fi
want=
for f in "$d"/*; do
  [ "\${f##*/}" = aardvark.pid ] && continue
  read -r gateway <"$f"
  IFS=.; set -- $gateway; unset IFS
  want="$want $(printf '%02X%02X%02X%02X:0035' "$4" "$3" "$2" "$1")"
done
i=0
while [ $i -lt 200 ]; do
  ok=1; for w in $want; do grep -q " $w 00000000:0000 07" /proc/net/udp || { ok=; break; }; done
  [ -n "$ok" ] && exit 0
  i=$((i+1)); sleep 0.01
done
exit 5
`;

const REASONS: Record<number, string> = { 3: 'its tables could not be written', 4: 'it could not be started', 5: 'it did not start answering on every gateway within 2 s' };

/**
 * Names on user-defined networks, served by aardvark-dns (the server Podman uses) on each network's
 * gateway: the engine keeps one table per network with the containers that run on it. One update
 * runs at a time; a request made while one runs is served by the next, which reads the tables anew.
 */
export class NameService {
  private running: Promise<void> | undefined;
  private next: Promise<void> | undefined;

  constructor(
    private readonly host: Host,
    /** Where the tables live on the Linux side. */
    private readonly dir: string,
    private readonly binary = AARDVARK_DNS,
  ) {}

  /** Makes the server's tables what `tables()` says when it runs, and the server run while any table is left. */
  update(tables: () => NameTable[]): Promise<void> {
    if (this.next) return this.next;
    const after = this.running ?? Promise.resolve();
    const next = after.catch(() => {}).then(() => {
      this.next = undefined;
      this.running = next;
      return this.write(tables());
    });
    this.next = next;
    void next.finally(() => {
      if (this.running === next) this.running = undefined;
    }).catch(() => {});
    return next;
  }

  private async write(tables: NameTable[]): Promise<void> {
    const input = tables
      .filter((t) => t.entries.length > 0)
      .flatMap((t) => [`@@ ${t.networkId}`, t.gateway, ...t.entries.map((e) => `${e.containerId} ${e.address}  ${e.names.join(',')}`)])
      .join('\n');
    const result = await this.host.exec(['sh', '-c', SYNC_SCRIPT, 'berth-dns', this.dir, this.binary], { input: input === '' ? '' : `${input}\n`, timeoutMs: 15_000 });
    if (result.code !== 0) {
      const reason = REASONS[result.code] ?? (result.stderr.toString().trim() || `exit ${result.code}`);
      throw new BerthError('NETWORK_ERROR', `the name server of user-defined networks (aardvark-dns): ${reason}`, { fix: 'install the aardvark-dns package' });
    }
  }
}
