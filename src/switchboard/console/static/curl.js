/* A logged webhook request as a `curl` command that sends it again exactly: the same method, URL,
 * headers (the signature and idempotency token included) and body, byte for byte. */

import { announce } from "./app.js";

/** A form body as Python's `urlencode` writes it (what the server sent): space as `+`, and
 *  every byte but letters, digits and `_ . - ~` percent-encoded. */
export function formEncode(params) {
  const part = (text) => encodeURIComponent(text)
    .replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
    .replace(/%20/g, "+");
  return Object.entries(params).map(([k, v]) => `${part(k)}=${part(v)}`).join("&");
}

/** One word for a POSIX shell. */
const quote = (text) => `'${String(text).replace(/'/g, "'\\''")}'`;

/** `request`: as the request log shows it (method, url, headers, params). */
export function curlCommand(request) {
  const words = ["curl", "--compressed"];
  const method = String(request.method || "POST").toUpperCase();
  if (method !== "GET" && method !== "POST") words.push("-X", method);
  words.push(quote(request.url));
  for (const [name, value] of Object.entries(request.headers || {})) words.push("-H", quote(`${name}: ${value}`));
  // A GET's parameters are in its URL already.
  if (method === "POST") words.push("--data-raw", quote(formEncode(request.params || {})));
  return words.join(" ");
}

/** Put `text` on the clipboard; says what happened (the command stays on the page to select by
 *  hand where the browser refuses, as on a plain-HTTP address that is not this machine). */
export async function copy(text, what, status) {
  try {
    await navigator.clipboard.writeText(text);
    status.textContent = `Copied ${what} to the clipboard.`;
  } catch {
    status.textContent = `The browser did not allow copying: select ${what} below and copy it.`;
  }
  announce(status.textContent);
}
