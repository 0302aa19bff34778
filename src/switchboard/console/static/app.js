/* The single-page app: routes, the header (navigation, who is signed in), drawing a page and
 * timing it, and the pages for what is not found. Pages register themselves with `route`. */

import { describe, whenRefused } from "./api.js";
import { Raw, html, raw } from "./html.js";
import { clearSession, findSession, getSession, whenChanged } from "./session.js";

export const BASE = "/console";
export const SID = "[0-9a-f]{32}";

const main = document.getElementById("main");
const nav = document.getElementById("nav");
const who = document.getElementById("who");
const announcer = document.getElementById("announcer");

export const announce = (message) => {
  announcer.textContent = "";
  // A fresh text node after a tick makes screen readers speak repeated messages too.
  setTimeout(() => { announcer.textContent = message; }, 30);
};

let flash = null; // { kind: "ok" | "bad", text } shown on the next page
export const setFlash = (kind, text) => { flash = { kind, text }; };

/** What one page hands the next in memory only (a secret shown once, a form to prefill). */
export const handoff = {};

// ---------------------------------------------------------------- routes

const routes = [];
let signInPage = null;
export const route = (pattern, page) => routes.push([new RegExp(`^${pattern}$`), page]);
export const setSignInPage = (page) => { signInPage = page; };

export function path() {
  let p = location.pathname;
  if (p.startsWith(BASE)) p = p.slice(BASE.length);
  if (p.length > 1 && p.endsWith("/")) p = p.slice(0, -1);
  return p || "/";
}

export function go(to, { replace = false } = {}) {
  if (replace) history.replaceState(null, "", to);
  else history.pushState(null, "", to);
  render(true);
}

document.addEventListener("click", (event) => {
  if (event.defaultPrevented || event.button !== 0) return;
  if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
  const a = event.target.closest("a[href]");
  if (!a || a.target || a.hasAttribute("download")) return;
  const href = a.getAttribute("href");
  if (href.startsWith("#")) {
    // In-page links (the skip link): move focus, do not route.
    const target = document.getElementById(href.slice(1));
    if (target) { event.preventDefault(); target.focus(); }
    return;
  }
  if (!href.startsWith(`${BASE}/`) && href !== BASE) return;
  event.preventDefault();
  go(href);
});
window.addEventListener("popstate", () => render(true));

/** The account the current page is about (else the signed-in one). */
function currentAccount() {
  const m = path().match(new RegExp(`^/accounts/(AC${SID})`));
  const s = getSession();
  return m ? m[1] : s && s.accountSid;
}

/** The navigation and who is signed in. `lost`: the page names something the session cannot
 *  reach, so the links lead to the session's own account and none is current. */
function renderChrome(lost = false) {
  const s = getSession();
  if (!s) {
    nav.innerHTML = "";
    who.innerHTML = "";
    return;
  }
  const ac = lost ? s.accountSid : currentAccount();
  const p = lost ? "" : path();
  const links = [
    ["Accounts", "/accounts", /^\/accounts$/],
    ["Account", `/accounts/${ac}`, new RegExp(`^/accounts/AC${SID}$`)],
    ["Applications", `/accounts/${ac}/applications`, /\/applications/],
    ["Numbers", `/accounts/${ac}/numbers`, /\/numbers/],
    ["Keys", `/accounts/${ac}/keys`, /\/keys/],
    ["Phone", `/accounts/${ac}/phone`, /\/(phone|handsets)/],
    ["Calls", `/accounts/${ac}/calls`, /\/calls/],
    ["Messages", `/accounts/${ac}/messages`, /\/messages/],
    ["Recordings", `/accounts/${ac}/recordings`, /\/recordings/],
    ["Simulate", `/accounts/${ac}/simulate`, /\/simulate/],
    ["Request log", `/accounts/${ac}/requests`, /\/requests/],
    ["Tools", `/accounts/${ac}/tools`, /\/tools$/],
    ["Status", `/accounts/${ac}/status`, /\/status$/],
  ];
  nav.innerHTML = html`<ul>${links.map(([label, href, re]) => html`<li><a href="${BASE}${href}"${raw(re.test(p) ? ' aria-current="page"' : "")}>${label}</a></li>`)}</ul>`.html;
  who.innerHTML = html`<span class="who-name"><span class="who-label">Signed in as </span><code title="${s.username}">${s.username}</code>${s.isKey ? " (API key)" : ""}</span>
    <button type="button" id="sign-out" class="secondary">Sign out</button>`.html;
  document.getElementById("sign-out").addEventListener("click", () => {
    clearSession();
    setFlash("ok", "Signed out.");
    go(`${BASE}/`);
  });
}

whenRefused(() => {
  if (!getSession()) return;
  clearSession();
  setFlash("bad", "Your credentials were refused (401). Sign in again.");
  render(true);
});

whenChanged((change) => {
  setFlash("ok", change === "signed-out" ? "Signed out (in another tab)." : "Signed in (in another tab).");
  render(false);
});

// ---------------------------------------------------------------- drawing a page

let navSeq = 0;
let cleanups = [];
const timing = { path: "", fetchMs: 0, layoutMs: 0, renderMs: 0, totalMs: 0 };
window.switchboardTiming = timing;

/**
 * Draw the current route. A page is `async (ctx, ...groups)`: it fetches, calls
 * `ctx.dataArrived()`, then `ctx.done(title, html)`. The time from its data's arrival to the
 * next painted frame is the page's render time: the performance measure `sb:render`, also in
 * `window.switchboardTiming` and `data-render-ms` on <main>.
 */
async function render(moveFocus) {
  const seq = ++navSeq;
  cleanups.forEach((fn) => fn());
  cleanups = [];
  performance.mark(`sb:start:${seq}`);
  const started = performance.now();
  main.removeAttribute("data-ready");
  main.setAttribute("aria-busy", "true");
  await findSession();
  if (seq !== navSeq) return;
  renderChrome();
  const p = path();
  let page = signInPage;
  let groups = [];
  if (getSession()) {
    page = notFoundPage;
    for (const [re, fn] of routes) {
      const m = p.match(re);
      if (m) { page = fn; groups = m.slice(1); break; }
    }
  }
  let dataAt = null;
  const ctx = {
    current: () => seq === navSeq,
    onLeave: (fn) => cleanups.push(fn),
    dataArrived: () => {
      dataAt = performance.now();
      performance.mark(`sb:data:${seq}`);
    },
    done: (title, body) => {
      if (seq !== navSeq) return false;
      if (dataAt === null) ctx.dataArrived();
      const t0 = dataAt;
      const message = flash;
      flash = null;
      const flashHtml = message ? html`<p class="flash ${message.kind}" role="status">${message.text}</p>`.html : "";
      main.innerHTML = flashHtml + (body instanceof Raw ? body.html : body);
      document.title = `${title} · Switchboard console`;
      void main.offsetHeight; // style and layout now, so that the measure includes them
      const laidOut = performance.now();
      main.removeAttribute("aria-busy");
      if (moveFocus) {
        const h1 = main.querySelector("h1");
        if (h1) { h1.tabIndex = -1; h1.focus({ preventScroll: false }); }
      }
      // The page counts as drawn once the next frame is painted (or after 1 s in a hidden tab,
      // where no frame comes).
      let finished = false;
      const finish = () => {
        if (finished || seq !== navSeq) return;
        finished = true;
        const t1 = performance.now();
        // The marks and measures of this navigation only (a long session would pile them up).
        performance.clearMeasures();
        performance.mark(`sb:drawn:${seq}`);
        performance.measure("sb:render", { start: `sb:data:${seq}`, end: `sb:drawn:${seq}`, detail: p });
        performance.measure("sb:total", { start: `sb:start:${seq}`, end: `sb:drawn:${seq}`, detail: p });
        Object.assign(timing, {
          path: p, fetchMs: t0 - started, layoutMs: laidOut - t0, renderMs: t1 - t0, totalMs: t1 - started,
        });
        performance.clearMarks();
        main.dataset.renderMs = (t1 - t0).toFixed(1);
        main.dataset.ready = p;
      };
      requestAnimationFrame(() => setTimeout(finish, 0));
      setTimeout(finish, 1000);
      return true;
    },
  };
  try {
    await page(ctx, ...groups);
  } catch (error) {
    if (seq !== navSeq) return;
    if (!getSession() && page !== signInPage) return; // signed out meanwhile: drawn already
    if (error.notYours || error.status === 403 || error.status === 404) {
      notYoursPage(ctx, error);
      return;
    }
    ctx.done("Error", html`<h1>Something went wrong</h1>
      <p class="flash bad" role="alert">The server could not answer: ${describe(error)}.</p>
      <p><a href="${BASE}/">Back to the start</a></p>`);
  }
}

/** A page the API refused for a session whose credentials are good (401 for a path they do not
 *  grant, 403, 404): it says so, in words, and the session stays. */
function notYoursPage(ctx, error) {
  const s = getSession();
  renderChrome(true);
  ctx.done("Not found or not yours", html`<h1>Not found or not yours</h1>
    <p class="flash bad" role="alert">This is not found, or not yours: what this address names
    does not exist, or the credentials you signed in with (<code>${s.username}</code>) cannot
    reach it. You are still signed in.</p>
    <p class="muted">The server answered: ${describe(error)}.</p>
    <p><a href="${BASE}/accounts/${s.accountSid}">Go to your account</a></p>`);
}

async function notFoundPage(ctx) {
  ctx.done("Not found", html`<h1>Page not found</h1>
    <p>The console has no page at this address.</p>
    <p><a href="${BASE}/">Back to the start</a></p>`);
}

export const start = () => render(false);
