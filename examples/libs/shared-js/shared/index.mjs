// Helpers shared by the Node functions of the example monorepo.
//
// Functions get this folder into their deployment zip through a symlink in
// their own folder (shared -> ../../libs/shared-js/shared) and list
// examples/libs/shared-js under `watch` in lambdas.hcl, so that a change here
// releases every function that uses it.
export { jsonResponse, HttpError, parseJsonBody, rawBody } from './http.mjs';
export { safeEqual, hmacSha256Hex } from './crypto.mjs';
export { splitKey, isImageKey } from './keys.mjs';
