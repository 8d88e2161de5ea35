/** An image name as people type it: Docker Hub's prefixes left off (docker.io/library/hello:1 is hello:1). */
export function familiarName(name: string): string {
  return name.replace(/^docker\.io\/(library\/)?/, '');
}

/** A digest (an image id, a layer) as Docker prints it: 12 hex digits, no algorithm. */
export function shortDigest(id: string): string {
  return id.replace(/^sha256:/, '').slice(0, 12);
}
