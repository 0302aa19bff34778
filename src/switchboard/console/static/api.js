/* The server's REST API, called exactly as an SDK calls it: HTTP Basic on every request. */

import { inWords } from "./html.js";
import { getSession } from "./session.js";

export const TW = "/2010-04-01";
export const EXT = "/switchboard/v1";
export const acct = (ac) => `${TW}/Accounts/${ac}`;
export const ext = (ac) => `${EXT}/Accounts/${ac}`;

class ApiError extends Error {
  constructor(status, body) {
    super((body && body.message) || `HTTP ${status}`);
    this.status = status;
    this.code = body && body.code;
    this.body = body;
  }
}

/** An API error as the user reads it: its message (API paths in words) and Twilio's code. */
export const describe = (error) => inWords(error.message) + (error.code ? ` (code ${error.code})` : "");

const basic = (s) => {
  const bytes = new TextEncoder().encode(`${s.username}:${s.password}`);
  let bin = "";
  bytes.forEach((b) => { bin += String.fromCharCode(b); });
  return `Basic ${btoa(bin)}`;
};

let refused = () => {};
/** `fn()` runs when the session's own credentials are refused (401 on their own account). */
export function whenRefused(fn) { refused = fn; }

/** One API call; the parsed JSON answer (null for a 204), or an ApiError. `raw`: the Response. */
export async function api(method, path, params, creds, { raw = false } = {}) {
  const s = creds || getSession();
  const headers = { Accept: "application/json" };
  if (s) headers.Authorization = basic(s);
  let url = path;
  let body;
  if (params && method === "GET") {
    const qs = new URLSearchParams(params).toString();
    if (qs) url += (url.includes("?") ? "&" : "?") + qs;
  } else if (params) {
    body = new URLSearchParams(params).toString();
    headers["Content-Type"] = "application/x-www-form-urlencoded";
  }
  // credentials "omit": the browser adds nothing of its own and shows no login prompt.
  const response = await fetch(url, { method, headers, body, credentials: "omit", cache: "no-store" });
  if (response.ok && raw) return response;
  if (response.status === 204) return null;
  const text = await response.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch { data = null; }
  if (!response.ok) {
    const error = new ApiError(response.status, data);
    if (response.status === 401 && !creds) await refusedOrNotYours(error);
    throw error;
  }
  return data;
}

/** Try credentials on their own account: what signing in checks, and what tells a refused
 *  session from a page about an account the session cannot reach. */
export const verify = (s) => (s.isKey
  ? api("GET", `${acct(s.accountSid)}/Applications.json`, { PageSize: "1" }, s)
  : api("GET", `${acct(s.accountSid)}.json`, null, s));

let checking = null; // one check, however many requests were refused together

/**
 * A 401 for the session: the API answers 401 both for refused credentials and for a path that
 * names an account they do not grant (another top-level account's SID in the URL). Only the
 * first signs out; the second marks the error `notYours` and the session stays.
 */
async function refusedOrNotYours(error) {
  const s = getSession();
  if (!s) return;
  checking ??= verify(s)
    .then(() => true, (e) => (e.status === 401 ? false : null))
    .finally(() => { checking = null; });
  const valid = await checking;
  const same = getSession();
  if (!same || same.username !== s.username) return; // signed out or in again meanwhile
  if (valid) error.notYours = true;
  else if (valid === false) refused();
}

/** Every item of a list, following next_page_uri (at most `cap` items). */
export async function listAll(path, key, params, cap = 5000) {
  let page = await api("GET", path, { PageSize: "1000", ...(params || {}) });
  const items = [...page[key]];
  while (page.next_page_uri && items.length < cap) {
    page = await api("GET", page.next_page_uri);
    items.push(...page[key]);
  }
  return items;
}
