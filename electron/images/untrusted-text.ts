// Text from a layer, manifest or registry goes into one-line error messages: attacker-sized and
// attacker-shaped, so it is cut short and its control characters escaped.
const MAX_SHOWN = 160;

/** `text` as a message shows it: quoted, control characters escaped, long text cut. */
export function quoted(text: string, max = MAX_SHOWN): string {
  return JSON.stringify(text.length > max ? `${text.slice(0, max)}...` : text);
}

/** `text` on one line, without quotes: control characters become spaces, long text is cut. */
export function oneLine(text: string, max = MAX_SHOWN): string {
  const flat = text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max)}...` : flat;
}
