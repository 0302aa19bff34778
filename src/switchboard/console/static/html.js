/* Markup: an escaping template tag, and how values are shown (URLs, dates, SIDs, API paths in
 * words). Nothing here touches the page. */

const ESCAPES = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };
export const esc = (value) => String(value ?? "").replace(/[&<>"']/g, (c) => ESCAPES[c]);

/** Markup that `html` inserts as it is. */
export class Raw { constructor(markup) { this.html = markup; } }
export const raw = (markup) => new Raw(markup);

/** A tagged template that escapes every interpolation unless it is `raw(...)` (or a list of
 *  them). */
export const html = (strings, ...values) => {
  let out = strings[0];
  values.forEach((v, i) => {
    if (v instanceof Raw) out += v.html;
    else if (Array.isArray(v)) out += v.map((x) => (x instanceof Raw ? x.html : esc(x))).join("");
    else out += esc(v);
    out += strings[i + 1];
  });
  return raw(out);
};

export const show = (value) => (value === null || value === undefined || value === "" ? "—" : value);

/** A URL that wraps only between its parts (after `/ ? & = . - _ #`), never inside a word. */
export function urlHtml(url) {
  if (url === null || url === undefined || url === "") return raw("—");
  const pieces = String(url).split(/(?<=[/?&=.\-_#])/);
  return raw(`<span class="url">${pieces.map(esc).join("<wbr>")}</span>`);
}

/** A date (RFC 2822, as the API writes it) on one line. */
export const dateHtml = (date) => html`<span class="date">${show(date)}</span>`;

/** A SID in the code font, on one line. */
export const sidHtml = (sid) => html`<code class="sid">${sid}</code>`;

// API paths in words, for messages that quote one ("The requested resource /2010-04-01/...
// was not found").

const NOUNS = {
  Applications: "application",
  IncomingPhoneNumbers: "phone number",
  Keys: "API key",
  InboundCalls: "call",
  InboundMessages: "message",
  Requests: "webhook request",
  Accounts: "account",
};
const PLURALS = {
  Applications: "applications",
  IncomingPhoneNumbers: "phone numbers",
  Keys: "API keys",
  InboundCalls: "calls",
  InboundMessages: "messages",
  Requests: "request log",
  Local: "local numbers",
  TollFree: "toll-free numbers",
  Mobile: "mobile numbers",
};
const API_PATH = /\/(?:2010-04-01|switchboard\/v1)\/Accounts(?:\/[^\s/]+)*?(?:\.json)?(?=[\s,.;:)]|$)/g;

/** What an API path names, in words: "application AP… of account AC…". */
function pathInWords(path) {
  const parts = path.replace(/\.json$/, "").split("/").filter(Boolean).slice(1); // after the version
  if (parts[0] === "v1") parts.shift(); // /switchboard/v1
  const account = parts[1];
  const rest = parts.slice(2);
  if (!account) return "the accounts";
  if (!rest.length) return `account ${account}`;
  const [collection, sid, action] = rest;
  if (sid && NOUNS[collection]) {
    const what = `${NOUNS[collection]} ${sid}`;
    return `${action ? `the ${action.toLowerCase()} of ` : ""}${what} of account ${account}`;
  }
  return `the ${PLURALS[collection] || collection} of account ${account}`;
}

/** A message with every API path in it put in words. */
export function inWords(message) {
  const text = String(message ?? "");
  const notFound = /^The requested resource (\S+) was not found$/.exec(text);
  if (notFound) {
    const what = pathInWords(notFound[1]);
    return `${what[0].toUpperCase()}${what.slice(1)} was not found`;
  }
  return text.replace(API_PATH, (path) => pathInWords(path));
}
