// thumbnails: for each image uploaded to the uploads bucket (S3
// ObjectCreated event), work out the thumbnail renditions to write and their
// cache headers.
//
// The resize itself would use an image library such as sharp, a native
// module; the example leaves it out to stay small and portable, and returns
// the jobs it would run. `ms` turns the human max-age setting ("30d") into
// seconds for Cache-Control.
import ms from 'ms';

// `shared` is examples/libs/shared-js/shared, through the symlink in this
// folder; the packager follows it, so the zip holds a real copy.
import { isImageKey, splitKey } from './shared/index.mjs';

const DEFAULT_SIZES = [128, 512];

/** Thumbnail widths from THUMB_SIZES ("128,512"), sorted and deduplicated. */
export function sizesFrom(env = process.env) {
  if (!env.THUMB_SIZES) return DEFAULT_SIZES;
  const sizes = env.THUMB_SIZES.split(',').map((s) => Number.parseInt(s.trim(), 10));
  if (sizes.some((n) => !Number.isInteger(n) || n < 16 || n > 4096)) {
    throw new Error(`THUMB_SIZES: want widths between 16 and 4096, got ${JSON.stringify(env.THUMB_SIZES)}`);
  }
  return [...new Set(sizes)].sort((a, b) => a - b);
}

/** Cache-Control for the thumbnails from THUMB_MAX_AGE ("30d", "12h"). */
export function cacheControlFrom(env = process.env) {
  const maxAge = ms(env.THUMB_MAX_AGE ?? '30d');
  if (typeof maxAge !== 'number' || !(maxAge > 0)) {
    throw new Error(`THUMB_MAX_AGE: not a duration: ${JSON.stringify(env.THUMB_MAX_AGE)}`);
  }
  return `public, max-age=${Math.floor(maxAge / 1000)}, immutable`;
}

/** The jobs for one S3 record: [] when it is not an image or is a thumbnail already. */
export function jobsFor(record, sizes, cacheControl) {
  const bucket = record.s3.bucket.name;
  const key = record.s3.object.key;
  if (!isImageKey(key)) return [];
  const { dir, stem } = splitKey(key);
  if (dir === 'thumbnails' || dir.startsWith('thumbnails/')) return [];
  const source = dir ? `${dir}/${stem}` : stem;
  return sizes.map((width) => ({
    bucket,
    source: decodeURIComponent(key.replace(/\+/g, ' ')),
    target: `thumbnails/${width}/${source}.webp`,
    width,
    cacheControl,
  }));
}

export async function handler(event) {
  const sizes = sizesFrom();
  const cacheControl = cacheControlFrom();
  const jobs = (event.Records ?? []).flatMap((r) => jobsFor(r, sizes, cacheControl));
  console.log(JSON.stringify({ msg: 'thumbnail jobs', count: jobs.length }));
  return { jobs };
}
