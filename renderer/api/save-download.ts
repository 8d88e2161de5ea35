/** Hands bytes to the browser's (or the app window's) download, under a suggested file name. */
export function saveDownload(name: string, blob: Blob): void {
  const url = URL.createObjectURL(blob);
  const link = Object.assign(document.createElement('a'), { href: url, download: name });
  link.click();
  // After the click has been handled: revoking at once can cancel the download in some engines.
  setTimeout(() => URL.revokeObjectURL(url), 0);
}
