/* The API's rules for the values the console's forms send, written again for the browser so that
 * every bad field is reported at once (the API, as Twilio's, reports the first one only). Each
 * mirrors its counterpart in src/switchboard/twilio/ (params.py, rules.py) and answers the same
 * code; tests/browser checks both agree on the same values. A rule returns null (valid) or
 * { code, text }, its text led by the field's label. */

const URL_MAX = 4096;
// RFC 3986's characters, `%` only in an escape (params._URI): anything else must be escaped.
const URI = /^(?:[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=]|%[0-9A-Fa-f]{2})*$/;
const HOST = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9])?)*\.?)$/;
const SCHEME_CHARS = /^[A-Za-z][A-Za-z0-9+.-]*$/;
const UNSTORABLE = /[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]/;
const E164 = /^\+[1-9][0-9]{6,14}$/;
const FRIENDLY_NAME_MAX = 64;
const BODY_MAX = 1600;

const codePoints = (text) => [...text].length;

/** What Python's `ipaddress.ip_address` takes inside brackets (an IPv6 address), checked with
 *  the browser's own URL parser. */
function ipv6(text) {
  if (!/^[0-9A-Fa-f:.]+$/.test(text)) return false;
  try { return new URL(`http://[${text}]/`).hostname.startsWith("["); } catch { return false; }
}

/** params.valid_url: an absolute http(s) URL with a host and a valid URI (RFC 3986), nothing a
 *  webhook client chokes on (Python's urlsplit, as the server reads it). */
function validUrl(value) {
  if (codePoints(value) > URL_MAX || !URI.test(value)) return false;
  if ((value.match(/#/g) || []).length > 1) return false;
  const colon = value.indexOf(":");
  if (colon <= 0 || !SCHEME_CHARS.test(value.slice(0, colon))) return false;
  const scheme = value.slice(0, colon).toLowerCase();
  if (scheme !== "http" && scheme !== "https") return false;
  const rest = value.slice(colon + 1);
  if (!rest.startsWith("//")) return false;
  const netloc = rest.slice(2).split(/[/?#]/, 1)[0];
  if (/[[\]]/.test(rest.slice(2 + netloc.length))) return false;  // brackets only around a host
  if ((netloc.match(/@/g) || []).length > 1) return false;  // one `user:password@` at most
  const open = netloc.includes("["), close = netloc.includes("]");
  if (open !== close) return false;
  if (open) {
    // urlsplit checks the first bracketed part of the whole netloc (an IPv6 or IPvFuture).
    const first = netloc.slice(netloc.indexOf("[") + 1).split("]", 1)[0];
    if (first.startsWith("v") ? !/^v[a-fA-F0-9]+\..+$/.test(first) : !ipv6(first)) return false;
  }
  const hostinfo = netloc.slice(netloc.lastIndexOf("@") + 1);
  let host, port;
  if (hostinfo.includes("[")) {
    const bracketed = hostinfo.slice(hostinfo.indexOf("[") + 1);
    host = bracketed.split("]", 1)[0];
    const after = bracketed.slice(host.length + 1);
    port = after.includes(":") ? after.slice(after.indexOf(":") + 1) : "";
  } else {
    const at = hostinfo.indexOf(":");
    host = at < 0 ? hostinfo : hostinfo.slice(0, at);
    port = at < 0 ? "" : hostinfo.slice(at + 1);
  }
  if (port !== "" && (!/^[0-9]+$/.test(port) || Number(port) > 65535)) return false;
  if (!host) return false;
  const lowered = host.toLowerCase();
  return HOST.test(lowered.includes(":") ? `[${lowered}]` : lowered);
}

/** A URL field: empty clears it; otherwise it must be a valid URL (21402). */
export const url = (label) => (value) => (value === "" || validUrl(value)
  ? null
  : { code: 21402, text: `${label} is not a valid URL: ${value}` });

/** params.parse_friendly_name: 1 to 64 characters, none XML cannot carry (20002). `optional`:
 *  an empty value is not sent at all. */
export const friendlyName = (label, { optional = false } = {}) => (value) => {
  if (optional && value === "") return null;
  const n = codePoints(value);
  if (n >= 1 && n <= FRIENDLY_NAME_MAX && !UNSTORABLE.test(value)) return null;
  return { code: 20002, text: `${label} must be 1 to ${FRIENDLY_NAME_MAX} characters${n ? "" : ": it is empty"}` };
};

/** rules.parse_phone_number: required (20001, as the API answers when neither PhoneNumber nor
 *  AreaCode is given), and E.164 (21421). */
export const phoneNumber = (label) => (value) => {
  if (value === "") return { code: 20001, text: `${label} is required` };
  return E164.test(value) ? null : { code: 21421, text: `${label} is invalid: ${value} (E.164: + and 7 to 15 digits)` };
};

/** A required value (`code`: Twilio's for it). */
export const required = (label, code) => (value) => (value === ""
  ? { code, text: `${label} is required` }
  : null);

/** A message body of at most 1600 characters (21617). */
export const body = (label) => (value) => (codePoints(value) <= BODY_MAX
  ? null
  : { code: 21617, text: `${label} exceeds the ${BODY_MAX} character limit (it has ${codePoints(value)})` });

/** A SID with one of `prefixes` (AC, SK, CA, ...) and 32 hex digits. */
export const sid = (label, prefixes, code = 20001) => (value) => (
  new RegExp(`^(${prefixes.join("|")})[0-9a-fA-F]{32}$`).test(value)
    ? null
    : { code, text: `${label} must be ${prefixes.map((p) => `${p}…`).join(" or ")}: ${prefixes[0]} and 32 hexadecimal digits` });

/** Digits only (an error code). */
export const digits = (label) => (value) => (/^[0-9]{1,6}$/.test(value)
  ? null
  : { code: 20001, text: `${label} must be digits, such as 11200` });
