/** Random, URL-safe ids for docs and records; crypto.getRandomValues works in browsers on plain http too. */
export function newId(bytes = 10): string {
  const random = new Uint8Array(bytes);
  globalThis.crypto.getRandomValues(random);
  let id = '';
  for (const byte of random) id += byte.toString(16).padStart(2, '0');
  return id;
}
