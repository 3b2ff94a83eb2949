// API Gateway (HTTP API, payload 2.0) request and response helpers.

/** An error whose message may be shown to the caller, with its HTTP status. */
export class HttpError extends Error {
  constructor(statusCode, message) {
    super(message);
    this.name = 'HttpError';
    this.statusCode = statusCode;
  }
}

/** A Lambda proxy response carrying body as JSON. */
export function jsonResponse(statusCode, body, headers = {}) {
  return {
    statusCode,
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  };
}

/** The raw body of an API Gateway event as a string, decoding base64. */
export function rawBody(event) {
  const body = event?.body ?? '';
  return event?.isBase64Encoded ? Buffer.from(body, 'base64').toString('utf8') : body;
}

/** The JSON object in the event's body, or HttpError 400. */
export function parseJsonBody(event) {
  let doc;
  try {
    doc = JSON.parse(rawBody(event));
  } catch {
    throw new HttpError(400, 'body is not valid JSON');
  }
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) {
    throw new HttpError(400, 'body must be a JSON object');
  }
  return doc;
}
