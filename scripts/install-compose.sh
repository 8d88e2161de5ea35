#!/usr/bin/env bash
# Makes both Docker Compose clients available to Berth's tests:
#   v1: Debian's docker-compose (1.29.2, Python) on the PATH;
#   v2: the Go CLI plugin, copied to DEST (first argument). Tests link DEST into
#       $DOCKER_CONFIG/cli-plugins/docker-compose so `docker compose` finds it.
# Runs as root; on a machine that already has both it does nothing.
set -euo pipefail

dest="${1:-/usr/local/lib/berth-test/cli-plugins/docker-compose}"

have_v1() { command -v docker-compose >/dev/null 2>&1; }
# A plugin that is there but does not run (wrong arch, truncated copy) counts as missing.
have_v2() {
  local out
  [ -x "$dest" ] && out=$("$dest" version 2>/dev/null) && [[ $out =~ [\ v]2\.[0-9] ]]
}

need=()
have_v1 || need+=("docker-compose v1 (apt-get install docker-compose)")
have_v2 || need+=("docker compose v2 at $dest")
if [ "${#need[@]}" -eq 0 ]; then exit 0; fi

if [ "$(id -u)" != 0 ]; then
  joined=$(printf '%s; ' "${need[@]}")
  echo "berth: missing ${joined%; } (run as root: sudo $0${1:+ $1})" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive

if ! have_v1; then
  out=$({ apt-get update -qq && apt-get install -y -qq --no-install-recommends docker-compose; } 2>&1) ||
    { echo "berth: could not install docker-compose v1: $(grep -v '^\s*$' <<<"$out" | tail -n 1)" >&2; exit 1; }
fi

have_v2 && exit 0

fail() { echo "berth: could not fetch docker compose v2: $*" >&2; exit 1; }

# Debian 12 has only Compose v1; Debian 13 (trixie) packages v2 as docker-compose.
# Its .deb is fetched with apt pointed at a throwaway directory, so the system's
# sources, lists, caches and package state stay exactly as they were.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# The mirror and keyring this machine's apt already trusts for its own release.
codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
[ -n "$codename" ] || fail "no VERSION_CODENAME in /etc/os-release"
src=""
for f in /etc/apt/sources.list.d/*.sources; do
  [ -f "$f" ] || continue
  # deb822 stanzas: first enabled "deb" stanza listing our suite; first of its URIs.
  src=$(awk -v cn="$codename" '
    function flush() {
      if ((" " types " ") ~ / deb / && (" " suites " ") ~ (" " cn " ") && enabled != "no" && uri != "") {
        print uri "\t" key; found = 1; exit
      }
      types = suites = uri = key = enabled = ""
    }
    /^[ \t]*#/ { next }
    /^[ \t]*$/ { flush(); next }
    /^[ \t]/ { next }  # continuation lines (an inline key block)
    {
      i = index($0, ":"); name = tolower(substr($0, 1, i - 1)); val = substr($0, i + 1)
      gsub(/^[ \t]+|[ \t]+$/, "", val)
      if (name == "types") types = val
      else if (name == "suites") suites = val
      else if (name == "uris") { split(val, a, /[ \t]+/); uri = a[1] }
      else if (name == "signed-by") key = val
      else if (name == "enabled") enabled = tolower(val)
    }
    END { if (!found) flush() }' "$f")
  [ -z "$src" ] || break
done
if [ -z "$src" ] && [ -f /etc/apt/sources.list ]; then
  # One-line form: deb [opt=val ...] URI SUITE COMPONENTS
  src=$(awk -v cn="$codename" '
    $1 != "deb" { next }
    {
      key = ""; n = 2
      if ($2 ~ /^\[/) {
        for (; n <= NF; n++) {
          o = $n; gsub(/[][]/, "", o)
          if (o ~ /^signed-by=/) key = substr(o, 11)
          if ($n ~ /\]$/) { n++; break }
        }
      }
      if ($(n + 1) == cn) { print $n "\t" key; exit }
    }' /etc/apt/sources.list)
fi
[ -n "$src" ] || fail "no apt source for $codename in /etc/apt"
uri=${src%%$'\t'*}
key=${src#*$'\t'}
opts="arch=$(dpkg --print-architecture) target=Packages"
# Only a keyring file can be named here; without one apt uses its trusted keys.
case "$key" in /*) opts="$opts signed-by=$key" ;; esac
echo "deb [$opts] $uri trixie main" >"$tmp/sources.list"

# The system's update hooks would refresh system caches from the system's lists.
printf '#clear APT::Update::Pre-Invoke;\n#clear APT::Update::Post-Invoke;\n#clear APT::Update::Post-Invoke-Success;\n' >"$tmp/apt.conf"
: >"$tmp/status"
mkdir -p "$tmp/none" "$tmp/lists/partial" "$tmp/cache/archives/partial" "$tmp/state" "$tmp/deb" "$tmp/root"
apt=(apt-get -qq -c "$tmp/apt.conf"
  -o Dir::Etc::SourceList="$tmp/sources.list" -o Dir::Etc::SourceParts="$tmp/none"
  -o Dir::Etc::Preferences="$tmp/preferences" -o Dir::Etc::PreferencesParts="$tmp/none"
  -o Dir::State="$tmp/state" -o Dir::State::Lists="$tmp/lists" -o Dir::State::status="$tmp/status"
  -o Dir::Cache="$tmp/cache")
# apt downloads as its unprivileged _apt user when it can write there.
chmod 755 "$tmp"
if id _apt >/dev/null 2>&1; then chown _apt "$tmp/deb"; fi

log="$tmp/log"
"${apt[@]}" --error-on=any update >"$log" 2>&1 || fail "apt-get update of trixie from $uri failed: $(grep -v '^\s*$' "$log" | tail -n 1)"
(cd "$tmp/deb" && "${apt[@]}" download docker-compose) >"$log" 2>&1 || fail "apt-get download docker-compose failed: $(grep -v '^\s*$' "$log" | tail -n 1)"
deb=$(ls "$tmp"/deb/docker-compose_*.deb 2>/dev/null | head -n 1)
[ -n "$deb" ] || fail "apt-get download left no .deb"
dpkg -x "$deb" "$tmp/root" || fail "dpkg -x $(basename "$deb") failed"
bin="$tmp/root/usr/libexec/docker/cli-plugins/docker-compose"
[ -f "$bin" ] || fail "$(basename "$deb") has no usr/libexec/docker/cli-plugins/docker-compose"

# Copy then rename, so a test never sees a half-written plugin.
mkdir -p "$(dirname "$dest")"
install -m 0755 "$bin" "$dest.new.$$"
mv -f "$dest.new.$$" "$dest"
have_v2 || fail "$dest does not run: $("$dest" version 2>&1 | tail -n 1)"
