// What the Berth WSL distro is built from. The engine imports this at run time to compare the
// installed distro's version with the app's, so it stays free of dependencies.

/** Bump whenever the distro's recipe changes, so installed distros are replaced. */
export const DISTRO_VERSION = 4;

/** Inside the distro: holds DISTRO_VERSION as decimal text and a newline. */
export const DISTRO_VERSION_FILE = '/etc/berth-distro-version';

/**
 * Debian packages installed on top of debootstrap's minbase variant. tar, gzip, coreutils,
 * util-linux, mount and hostname are already in minbase (Essential); they are named because the
 * engine runs their commands, so the list is the engine's whole dependency.
 */
export const DISTRO_PACKAGES: readonly string[] = [
  'runc',
  // Each container's monitor: holds its stdio or pty, writes its log, records its exit.
  'conmon',
  // Names on user-defined networks (Podman's name server).
  'aardvark-dns',
  // Image builds (Podman's builder).
  'buildah',
  'iproute2',
  // The engine DNATs published ports inside the distro.
  'nftables',
  // Outbound NAT for containers (the iptables-nft front end, the same tables as nft's).
  'iptables',
  'procps',
  'zstd',
  'ca-certificates',
  'tar',
  'gzip',
  'coreutils',
  'util-linux',
  'mount',
  'hostname',
];
