// S3 object key helpers.

const IMAGE_EXTENSIONS = new Set(['jpg', 'jpeg', 'png', 'gif', 'webp']);

/**
 * Splits an S3 key as it comes in an event (URL-encoded, '+' for spaces) into
 * { dir, stem, ext }: 'uploads/a/My+Cat.JPG' -> { dir: 'uploads/a', stem: 'My Cat', ext: 'jpg' }.
 */
export function splitKey(encodedKey) {
  const key = decodeURIComponent(String(encodedKey).replace(/\+/g, ' '));
  const slash = key.lastIndexOf('/');
  const dir = slash >= 0 ? key.slice(0, slash) : '';
  const base = slash >= 0 ? key.slice(slash + 1) : key;
  const dot = base.lastIndexOf('.');
  if (dot <= 0) return { dir, stem: base, ext: '' };
  return { dir, stem: base.slice(0, dot), ext: base.slice(dot + 1).toLowerCase() };
}

/** Whether the key names an image by its extension. */
export function isImageKey(encodedKey) {
  return IMAGE_EXTENSIONS.has(splitKey(encodedKey).ext);
}
