/**
 * The one test of an http(s) URL, for what a request or a config names to be fetched or sent to:
 * a webhook, a bucket's endpoint, a public URL.
 * @module
 */

/** True when `text` parses as a URL whose scheme is http or https. */
export function isHttpUrl(text: string): boolean {
  return URL.canParse(text) && /^https?:$/.test(new URL(text).protocol)
}
