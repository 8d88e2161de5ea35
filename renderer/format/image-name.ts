/** An image name as people type it: Docker Hub's prefixes left off (docker.io/library/hello:1 is hello:1). */
export function familiarName(name: string): string {
  return name.replace(/^docker\.io\/(library\/)?/, '');
}
