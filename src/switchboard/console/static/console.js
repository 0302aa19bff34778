/* Switchboard console: a small single-page app over the server's own REST API.
 *
 * No framework, no build step, nothing loaded from elsewhere. Credentials (an account SID and
 * its auth token, or an API key SID and its secret) stay in sessionStorage and go out as HTTP
 * Basic on every API call, exactly as an SDK sends them.
 */
"use strict";

(() => {
  const BASE = "/console";
  const TW = "/2010-04-01";
  const EXT = "/switchboard/v1";
  const SESSION_KEY = "switchboard.console.session";
  const POLL_MS = 2000;
  const SID = "[0-9a-f]{32}";

  const main = document.getElementById("main");
  const nav = document.getElementById("nav");
  const who = document.getElementById("who");
  const announcer = document.getElementById("announcer");

  // ---------------------------------------------------------------- helpers

  const ESCAPES = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };
  const esc = (value) => String(value ?? "").replace(/[&<>"']/g, (c) => ESCAPES[c]);

  /** A tagged template that escapes every interpolation unless it is `raw(...)`. */
  class Raw { constructor(html) { this.html = html; } }
  const raw = (html) => new Raw(html);
  const html = (strings, ...values) => {
    let out = strings[0];
    values.forEach((v, i) => {
      if (v instanceof Raw) out += v.html;
      else if (Array.isArray(v)) out += v.map((x) => (x instanceof Raw ? x.html : esc(x))).join("");
      else out += esc(v);
      out += strings[i + 1];
    });
    return raw(out);
  };

  const announce = (message) => {
    announcer.textContent = "";
    // A fresh text node after a tick makes screen readers speak repeated messages too.
    setTimeout(() => { announcer.textContent = message; }, 30);
  };

  const b64 = (text) => {
    const bytes = new TextEncoder().encode(text);
    let bin = "";
    bytes.forEach((b) => { bin += String.fromCharCode(b); });
    return btoa(bin);
  };

  /** A URL without its query string (a GET webhook's parameters), which the trace shows. */
  const shortUrl = (url) => {
    const at = String(url).indexOf("?");
    return at < 0 ? url : `${url.slice(0, at)}?… (query in the trace)`;
  };
  const show = (value) => (value === null || value === undefined || value === "" ? "—" : value);
  /** An API error as the user reads it: its message and, when it has one, Twilio's code. */
  const describe = (error) => error.message + (error.code ? ` (code ${error.code})` : "");

  // ---------------------------------------------------------------- session

  const getSession = () => {
    try { return JSON.parse(sessionStorage.getItem(SESSION_KEY) || "null"); } catch { return null; }
  };
  const setSession = (s) => sessionStorage.setItem(SESSION_KEY, JSON.stringify(s));
  const clearSession = () => sessionStorage.removeItem(SESSION_KEY);

  // ---------------------------------------------------------------- API

  class ApiError extends Error {
    constructor(status, body) {
      super((body && body.message) || `HTTP ${status}`);
      this.status = status;
      this.code = body && body.code;
      this.body = body;
    }
  }

  async function api(method, path, params, creds) {
    const s = creds || getSession();
    const headers = { Accept: "application/json" };
    if (s) headers.Authorization = "Basic " + b64(`${s.username}:${s.password}`);
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
  const verify = (s) => (s.isKey
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
    else if (valid === false) expired();
  }

  const acct = (ac) => `${TW}/Accounts/${ac}`;
  const ext = (ac) => `${EXT}/Accounts/${ac}`;

  /** Every item of a list, following next_page_uri (at most `cap` items). */
  async function listAll(path, key, params, cap = 5000) {
    let page = await api("GET", path, { PageSize: "1000", ...(params || {}) });
    const items = [...page[key]];
    while (page.next_page_uri && items.length < cap) {
      page = await api("GET", page.next_page_uri);
      items.push(...page[key]);
    }
    return items;
  }

  // ---------------------------------------------------------------- routing

  let navSeq = 0;
  let cleanups = [];
  let flash = null; // { kind: "ok" | "bad", text } shown on the next page
  const timing = { path: "", fetchMs: 0, renderMs: 0, totalMs: 0 };
  window.switchboardTiming = timing;

  const routes = [];
  const route = (pattern, page) => routes.push([new RegExp(`^${pattern}$`), page]);

  function path() {
    let p = location.pathname;
    if (p.startsWith(BASE)) p = p.slice(BASE.length);
    if (p.length > 1 && p.endsWith("/")) p = p.slice(0, -1);
    return p || "/";
  }

  function go(to, { replace = false } = {}) {
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
      ["Simulate", `/accounts/${ac}/simulate`, /\/(simulate|calls|messages)/],
      ["Request log", `/accounts/${ac}/requests`, /\/requests$/],
    ];
    nav.innerHTML = html`<ul>${links.map(([label, href, re]) => html`<li><a href="${BASE}${href}"${raw(re.test(p) ? ' aria-current="page"' : "")}>${label}</a></li>`)}</ul>`.html;
    who.innerHTML = html`<span>Signed in as <code>${s.username}</code>${s.isKey ? " (API key)" : ""}</span>
      <button type="button" id="sign-out" class="secondary">Sign out</button>`.html;
    document.getElementById("sign-out").addEventListener("click", () => {
      clearSession();
      flash = { kind: "ok", text: "Signed out." };
      go(`${BASE}/`);
    });
  }

  function expired() {
    if (!getSession()) return;
    clearSession();
    flash = { kind: "bad", text: "Your credentials were refused (401). Sign in again." };
    render(true);
  }

  /**
   * Draw the current route. A page is `async (ctx, ...groups)`: it fetches, then calls
   * `ctx.done(title, html)`; the time from its data's arrival to the DOM being laid out is
   * the page's render time (`window.switchboardTiming`, and `data-render-ms` on <main>).
   */
  async function render(moveFocus) {
    const seq = ++navSeq;
    cleanups.forEach((fn) => fn());
    cleanups = [];
    const started = performance.now();
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
    main.removeAttribute("data-ready");
    main.setAttribute("aria-busy", "true");
    let dataAt = null;
    const ctx = {
      current: () => seq === navSeq,
      onLeave: (fn) => cleanups.push(fn),
      dataArrived: () => { dataAt = performance.now(); },
      done: (title, body) => {
        if (seq !== navSeq) return false;
        const t0 = dataAt ?? performance.now();
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
          Object.assign(timing, {
            path: p, fetchMs: t0 - started, layoutMs: laidOut - t0, renderMs: t1 - t0, totalMs: t1 - started,
          });
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
      if (!getSession() && page !== signInPage) return; // expired() re-rendered already
      if (error.notYours || error.status === 403 || error.status === 404) {
        notYoursPage(ctx, error);
        return;
      }
      ctx.done("Error", html`<h1>Something went wrong</h1>
        <p class="flash bad" role="alert">${describe(error)}</p>
        <p><a href="${BASE}/">Back to the start</a></p>`);
    }
  }

  /** A page the API refused for a session whose credentials are good (401 for a path they do
   *  not grant, 403, 404): it says so, and the session stays. */
  function notYoursPage(ctx, error) {
    const s = getSession();
    renderChrome(true);
    ctx.done("Not found or not yours", html`<h1>Not found or not yours</h1>
      <p class="flash bad" role="alert">This is not found, or not yours: what this address names
      does not exist, or the credentials you signed in with (<code>${s.username}</code>) cannot
      reach it. You are still signed in.</p>
      <p class="muted">The API answered HTTP ${error.status}: ${describe(error)}.</p>
      <p><a href="${BASE}/accounts/${s.accountSid}">Go to your account</a></p>`);
  }

  // ---------------------------------------------------------------- form helpers

  /** The parameter an error's code is about, where its message does not spell the name
   *  ("The concatenated message body exceeds..."). */
  const CODE_PARAMS = { 21617: "Body" };

  const visible = (el) => el.getClientRects().length > 0;

  /**
   * The input an error is about: the one its message names, else its code's, else (for a 400
   * only) `fallbackParam`. None for an error about no field (21301, a 403, a 404, a 5xx), nor
   * for an input that is not shown.
   */
  function fieldFor(form, error, fallbackParam) {
    const inputs = [...form.querySelectorAll("[name][id]")].filter(visible);
    const named = (input) => input.getAttribute("name");
    const byName = (param) => inputs.find((input) => named(input) === param);
    return inputs.find((input) => error.message.startsWith(`${named(input)} `) || error.message.startsWith(`${named(input)}:`))
      || inputs.find((input) => new RegExp(`\\b${named(input)}\\b`).test(error.message))
      || byName(CODE_PARAMS[error.code])
      || (error.status === 400 ? byName(fallbackParam) : null)
      || null;
  }

  /** Bring a message that belongs to no field to the user: into view, and the focus on it (it
   *  is role=alert, so it is announced too). */
  function reveal(box) {
    box.tabIndex = -1;
    box.scrollIntoView({ block: "center" });
    box.focus({ preventScroll: true });
  }

  /** Show an error next to the field it is about and in the form's summary; an error about no
   *  field in the summary alone, where the user is looking. */
  function showFormError(form, error, fallbackParam) {
    clearFormErrors(form);
    const message = describe(error);
    const failed = `${form.dataset.failed || "Not saved"}: ${message}`;
    const target = fieldFor(form, error, fallbackParam);
    const summary = form.querySelector(".form-error");
    summary.textContent = failed;
    summary.hidden = false;
    if (target) {
      const box = document.getElementById(`${target.id}-error`);
      target.setAttribute("aria-invalid", "true");
      if (box) { box.textContent = message; box.hidden = false; }
      target.focus();
    } else {
      reveal(summary);
    }
    announce(failed);
  }

  function clearFormErrors(form) {
    form.querySelectorAll("[aria-invalid]").forEach((el) => el.removeAttribute("aria-invalid"));
    form.querySelectorAll(".field-error, .form-error").forEach((el) => { el.hidden = true; el.textContent = ""; });
  }

  /** Run `fn` with the form's submit button disabled; returns fn's result. */
  async function busy(form, fn) {
    const button = form.querySelector('button[type="submit"]');
    if (button) button.disabled = true;
    try { return await fn(); } finally { if (button) button.disabled = false; }
  }

  const errorBox = (id) => html`<p id="${id}-error" class="field-error" hidden></p>`;

  function textField(id, name, label, { value = "", type = "text", hint = "", required = false, autocomplete = "" } = {}) {
    const describedBy = [hint ? `${id}-hint` : "", `${id}-error`].filter(Boolean).join(" ");
    return html`<div class="field">
      <label for="${id}">${label}</label>
      <input id="${id}" name="${name}" type="${type}" value="${value ?? ""}" aria-describedby="${describedBy}"${raw(required ? " required" : "")}${raw(autocomplete ? ` autocomplete="${esc(autocomplete)}"` : "")} spellcheck="false">
      ${hint ? html`<p id="${id}-hint" class="hint">${hint}</p>` : ""}
      ${errorBox(id)}
    </div>`;
  }

  function selectField(id, name, label, options, value, hint = "") {
    const describedBy = [hint ? `${id}-hint` : "", `${id}-error`].filter(Boolean).join(" ");
    return html`<div class="field">
      <label for="${id}">${label}</label>
      <select id="${id}" name="${name}" aria-describedby="${describedBy}">
        ${options.map(([v, text]) => html`<option value="${v}"${raw(v === (value ?? "") ? " selected" : "")}>${text}</option>`)}
      </select>
      ${hint ? html`<p id="${id}-hint" class="hint">${hint}</p>` : ""}
      ${errorBox(id)}
    </div>`;
  }

  function checkField(id, name, label, checked) {
    return html`<div class="field inline">
      <input id="${id}" name="${name}" type="checkbox" value="true"${raw(checked ? " checked" : "")} aria-describedby="${id}-error">
      <label for="${id}">${label}</label>
      ${errorBox(id)}
    </div>`;
  }

  const METHODS = [["POST", "POST"], ["GET", "GET"]];

  // ---------------------------------------------------------------- sign in

  async function signInPage(ctx) {
    ctx.done("Sign in", html`
      <h1>Sign in</h1>
      <p class="lead">Use an account SID and its auth token, or an API key SID (SK…) and its secret.
      The credentials stay in this browser tab (sessionStorage) and go to this server only.</p>
      <form id="sign-in" class="stack" data-failed="Not signed in" novalidate>
        <p class="flash bad form-error" role="alert" hidden></p>
        ${textField("signin-username", "Username", "Account SID or API key SID", { required: true, autocomplete: "username", hint: "AC… or SK…" })}
        ${textField("signin-password", "Password", "Auth token or API key secret", { type: "password", required: true, autocomplete: "current-password" })}
        ${textField("signin-account", "AccountSid", "Account SID (only with an API key)", { hint: "The account the key belongs to (AC…)." })}
        <div class="actions"><button type="submit">Sign in</button></div>
      </form>`);
    const form = document.getElementById("sign-in");
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      busy(form, () => signIn(form));
    });
    document.getElementById("signin-username").focus();
  }

  async function signIn(form) {
    clearFormErrors(form);
    const username = form.Username.value.trim();
    const password = form.Password.value;
    let accountSid = form.AccountSid.value.trim();
    const isKey = username.startsWith("SK");
    const fail = (param, message) => showFormError(form, { message: `${param}: ${message}` }, param);
    if (!/^(AC|SK)[0-9a-fA-F]{32}$/.test(username)) return fail("Username", "enter an account SID (AC…) or an API key SID (SK…), 34 characters");
    if (!password) return fail("Password", "enter the auth token or the key's secret");
    if (isKey && !/^AC[0-9a-fA-F]{32}$/.test(accountSid)) return fail("AccountSid", "an API key needs the SID of its account (AC…)");
    if (!isKey) accountSid = username;
    const session = { username, password, accountSid, isKey };
    try {
      await verify(session);
    } catch (error) {
      if (error.status === 401 && error.code === 20003) return fail("Password", "these credentials were refused");
      return showFormError(form, error); // an account not active (20005), the server unreachable...
    }
    setSession(session);
    flash = { kind: "ok", text: "Signed in." };
    const p = path();
    go(p === "/" || p === "/signin" ? `${BASE}/accounts/${accountSid}` : location.pathname, { replace: true });
  }

  // ---------------------------------------------------------------- accounts

  route("/", async () => go(`${BASE}/accounts/${getSession().accountSid}`, { replace: true }));
  route("/signin", async () => go(`${BASE}/accounts/${getSession().accountSid}`, { replace: true }));

  route("/accounts", async (ctx) => {
    const s = getSession();
    if (s.isKey) {
      ctx.done("Accounts", html`<h1>Accounts</h1>
        <p>An API key cannot list or manage accounts. This key acts on account
        <a href="${BASE}/accounts/${s.accountSid}"><code>${s.accountSid}</code></a>.</p>`);
      return;
    }
    const items = await listAll(`${TW}/Accounts.json`, "accounts");
    ctx.dataArrived();
    const me = items.find((a) => a.sid === s.accountSid);
    const canCreate = me && me.owner_account_sid === me.sid;
    const rows = items.map((a) => html`<tr>
      <td><a href="${BASE}/accounts/${a.sid}">${a.friendly_name}</a></td>
      <td class="sid">${a.sid}</td>
      <td>${a.sid === a.owner_account_sid ? "Top-level" : "Subaccount"}</td>
      <td>${a.status}</td>
      <td>${a.date_created}</td></tr>`);
    ctx.done("Accounts", html`<h1>Accounts</h1>
      <p class="lead">The account you signed in with and its subaccounts.</p>
      <div class="table-wrap"><table>
        <caption>${items.length} account${items.length === 1 ? "" : "s"}</caption>
        <thead><tr><th scope="col">Friendly name</th><th scope="col">SID</th><th scope="col">Kind</th><th scope="col">Status</th><th scope="col">Created</th></tr></thead>
        <tbody>${rows}</tbody></table></div>
      ${canCreate ? html`<h2 id="new-sub-h">Create a subaccount</h2>
      <form id="new-subaccount" class="stack" aria-labelledby="new-sub-h" novalidate>
        <p class="flash bad form-error" role="alert" hidden></p>
        ${textField("sub-name", "FriendlyName", "Friendly name", { hint: "Optional; 1 to 64 characters." })}
        <div class="actions"><button type="submit">Create subaccount</button></div>
      </form>` : ""}`);
    const form = document.getElementById("new-subaccount");
    if (form) {
      form.addEventListener("submit", (event) => {
        event.preventDefault();
        busy(form, async () => {
          clearFormErrors(form);
          const params = form.FriendlyName.value ? { FriendlyName: form.FriendlyName.value } : {};
          try {
            const created = await api("POST", `${TW}/Accounts.json`, params);
            flash = { kind: "ok", text: `Created subaccount ${created.sid}.` };
            go(`${BASE}/accounts/${created.sid}`);
          } catch (error) { showFormError(form, error, "FriendlyName"); }
        });
      });
    }
  });

  route(`/accounts/(AC${SID})`, async (ctx, ac) => {
    const s = getSession();
    let account = null;
    let note = "";
    if (s.isKey) {
      // A key cannot read accounts; whether it reaches this one, its applications tell.
      if (ac !== s.accountSid) await api("GET", `${acct(ac)}/Applications.json`, { PageSize: "1" });
      note = "An API key cannot read account details.";
    } else account = await api("GET", `${acct(ac)}.json`);
    ctx.dataArrived();
    const isSub = account && account.owner_account_sid !== account.sid;
    const props = account ? html`<dl class="props">
        <dt>SID</dt><dd><code>${account.sid}</code></dd>
        <dt>Friendly name</dt><dd>${account.friendly_name}</dd>
        <dt>Status</dt><dd>${account.status}</dd>
        <dt>Type</dt><dd>${account.type}</dd>
        <dt>Owner account</dt><dd>${isSub ? html`<a href="${BASE}/accounts/${account.owner_account_sid}"><code>${account.owner_account_sid}</code></a>` : "— (top-level)"}</dd>
        <dt>Created</dt><dd>${account.date_created}</dd>
        <dt>Updated</dt><dd>${account.date_updated}</dd>
      </dl>` : html`<p>${note}</p>`;
    ctx.done(account ? account.friendly_name : ac, html`
      <p class="crumbs"><a href="${BASE}/accounts">Accounts</a> › ${ac}</p>
      <h1>${account ? account.friendly_name : "Account"} ${isSub ? html`<span class="badge neutral">Subaccount</span>` : ""}</h1>
      ${props}
      <div class="cards">
        <a href="${BASE}/accounts/${ac}/applications"><strong>Applications</strong>Voice and messaging webhooks</a>
        <a href="${BASE}/accounts/${ac}/numbers"><strong>Phone numbers</strong>Numbers and the application each uses</a>
        <a href="${BASE}/accounts/${ac}/simulate"><strong>Simulate</strong>An inbound call or SMS, with its trace</a>
        <a href="${BASE}/accounts/${ac}/requests"><strong>Request log</strong>Every webhook request, live</a>
      </div>`);
  });

  // ---------------------------------------------------------------- paged tables

  const PAGE_ROWS = 100;

  /**
   * A long list drawn 100 rows at a time: a filter over every item, and Previous/Next. All the
   * items are in memory (one API request); only the rows shown are in the DOM, so a page of a
   * 1000-application account draws as fast as a page of a small one.
   */
  function pagedTable({ id, items, noun, plural, filterLabel, head, text, row }) {
    const haystack = items.map((item) => text(item).toLowerCase());
    let matches = items.map((_, i) => i);
    let start = 0;
    let query = "";
    const rows = () => matches.slice(start, start + PAGE_ROWS).map((i) => row(items[i])).join("");
    const caption = () => {
      const total = items.length;
      const n = matches.length;
      if (!n) return `No ${plural} match “${query}” (of ${total})`;
      const range = n > PAGE_ROWS ? `, showing ${start + 1}–${Math.min(start + PAGE_ROWS, n)}` : "";
      return query
        ? `${n} of ${total} ${plural} match “${query}”${range}`
        : `${total} ${total === 1 ? noun : plural}${range}`;
    };
    const atStart = () => start === 0;
    const atEnd = () => start + PAGE_ROWS >= matches.length;
    const markup = html`
      <div class="actions">
        <label for="${id}-filter">${filterLabel}</label>
        <input id="${id}-filter" class="narrow" type="search" aria-controls="${id}" autocomplete="off">
      </div>
      <div class="table-wrap" role="region" aria-labelledby="${id}-caption" tabindex="0"><table id="${id}">
        <caption id="${id}-caption">${caption()}</caption>
        <thead><tr>${head.map((h) => html`<th scope="col">${h}</th>`)}</tr></thead>
        <tbody>${raw(rows())}</tbody></table></div>
      <div class="actions pager" role="group" aria-label="Pages of ${plural}"${raw(items.length > PAGE_ROWS ? "" : " hidden")}>
        <button type="button" class="secondary" id="${id}-prev" aria-controls="${id}" aria-disabled="true">Previous ${PAGE_ROWS}</button>
        <button type="button" class="secondary" id="${id}-next" aria-controls="${id}" aria-disabled="${atEnd()}">Next ${PAGE_ROWS}</button>
      </div>`;
    const mount = () => {
      const filter = document.getElementById(`${id}-filter`);
      const tbody = document.querySelector(`#${id} tbody`);
      const cap = document.getElementById(`${id}-caption`);
      const prev = document.getElementById(`${id}-prev`);
      const next = document.getElementById(`${id}-next`);
      const draw = () => {
        tbody.innerHTML = rows();
        cap.textContent = caption();
        prev.setAttribute("aria-disabled", String(atStart()));
        next.setAttribute("aria-disabled", String(atEnd()));
        announce(cap.textContent);
      };
      filter.addEventListener("input", () => {
        query = filter.value.trim();
        const q = query.toLowerCase();
        matches = [];
        haystack.forEach((h, i) => { if (!q || h.includes(q)) matches.push(i); });
        start = 0;
        draw();
      });
      // aria-disabled rather than disabled: the button keeps focus at either end.
      prev.addEventListener("click", () => { if (!atStart()) { start -= PAGE_ROWS; draw(); } });
      next.addEventListener("click", () => { if (!atEnd()) { start += PAGE_ROWS; draw(); } });
    };
    return { markup, mount };
  }

  // ---------------------------------------------------------------- applications

  const APP_FIELDS = [
    { key: "friendly_name", label: "Friendly name", kind: "text", group: "General", hint: "1 to 64 characters." },
    { key: "api_version", label: "API version", kind: "select", group: "General", options: [["2010-04-01", "2010-04-01"], ["2008-08-01", "2008-08-01"]] },
    { key: "voice_url", label: "Voice URL", kind: "url", group: "Voice", hint: "Requested when a call arrives at a number using this application." },
    { key: "voice_method", label: "Voice method", kind: "method", group: "Voice" },
    { key: "voice_fallback_url", label: "Voice fallback URL", kind: "url", group: "Voice", hint: "Requested when the voice URL fails." },
    { key: "voice_fallback_method", label: "Voice fallback method", kind: "method", group: "Voice" },
    { key: "status_callback", label: "Status callback URL", kind: "url", group: "Voice" },
    { key: "status_callback_method", label: "Status callback method", kind: "method", group: "Voice" },
    { key: "voice_caller_id_lookup", label: "Look up the caller's name (CallerName)", kind: "bool", group: "Voice" },
    { key: "sms_url", label: "SMS URL", kind: "url", group: "Messaging", hint: "Requested when a message arrives." },
    { key: "sms_method", label: "SMS method", kind: "method", group: "Messaging" },
    { key: "sms_fallback_url", label: "SMS fallback URL", kind: "url", group: "Messaging" },
    { key: "sms_fallback_method", label: "SMS fallback method", kind: "method", group: "Messaging" },
    { key: "sms_status_callback", label: "SMS status callback URL", kind: "url", group: "Messaging" },
    { key: "message_status_callback", label: "Message status callback URL", kind: "url", group: "Messaging" },
    { key: "public_application_connect_enabled", label: "Public application connect enabled", kind: "bool", group: "Other" },
  ];
  const pascal = (key) => key.split("_").map((p) => p[0].toUpperCase() + p.slice(1)).join("");
  APP_FIELDS.forEach((f) => { f.param = pascal(f.key); f.id = `app-${f.key.replace(/_/g, "-")}`; });

  function appForm(app, submitLabel) {
    const groups = ["General", "Voice", "Messaging", "Other"];
    const field = (f) => {
      const value = app ? app[f.key] : null;
      if (f.kind === "bool") return checkField(f.id, f.param, f.label, value === true);
      if (f.kind === "method") return selectField(f.id, f.param, f.label, METHODS, value || "POST");
      if (f.kind === "select") return selectField(f.id, f.param, f.label, f.options, value || "2010-04-01");
      return textField(f.id, f.param, f.label, { value: value ?? "", type: f.kind === "url" ? "url" : "text", hint: f.hint });
    };
    return html`<form id="app-form" class="stack" novalidate>
      <p class="flash bad form-error" role="alert" hidden></p>
      ${groups.map((g) => html`<fieldset><legend>${g}</legend>${APP_FIELDS.filter((f) => f.group === g).map(field)}</fieldset>`)}
      <div class="actions"><button type="submit">${submitLabel}</button></div>
    </form>`;
  }

  /** The form's values as API parameters. On create, empty values are left out. */
  function appParams(form, existing) {
    const params = {};
    for (const f of APP_FIELDS) {
      const input = form.elements[f.param];
      if (f.kind === "bool") { params[f.param] = input.checked ? "true" : "false"; continue; }
      const value = input.value.trim();
      if (f.key === "friendly_name") {
        if (value || (existing && existing.friendly_name !== null)) params[f.param] = value;
        continue;
      }
      if (value || existing) params[f.param] = value; // "" clears a URL on update
    }
    return params;
  }

  route(`/accounts/(AC${SID})/applications`, async (ctx, ac) => {
    const page = await api("GET", `${acct(ac)}/Applications.json`, { PageSize: "1000" });
    ctx.dataArrived();
    const apps = page.applications;
    const table = pagedTable({
      id: "app-table",
      items: apps,
      noun: "application",
      plural: "applications",
      filterLabel: "Filter by name or SID",
      head: ["Friendly name", "SID", "Voice URL", "SMS URL", "Created"],
      text: (a) => `${a.friendly_name ?? ""} ${a.sid}`,
      row: (a) => `<tr><td><a href="${BASE}/accounts/${ac}/applications/${esc(a.sid)}">${esc(a.friendly_name ?? "(no name)")}</a></td><td class="sid">${esc(a.sid)}</td><td class="url">${esc(show(a.voice_url))}</td><td class="url">${esc(show(a.sms_url))}</td><td>${esc(a.date_created)}</td></tr>`,
    });
    ctx.done("Applications", html`
      <p class="crumbs"><a href="${BASE}/accounts/${ac}">${ac}</a> › Applications</p>
      <h1>Applications</h1>
      <div class="actions"><a class="button" href="${BASE}/accounts/${ac}/applications/new">New application</a></div>
      ${apps.length === 0 ? html`<p>No applications yet.</p>` : table.markup}`);
    if (apps.length) table.mount();
  });

  route(`/accounts/(AC${SID})/applications/new`, async (ctx, ac) => {
    ctx.dataArrived();
    ctx.done("New application", html`
      <p class="crumbs"><a href="${BASE}/accounts/${ac}">${ac}</a> › <a href="${BASE}/accounts/${ac}/applications">Applications</a> › New</p>
      <h1>New application</h1>
      ${appForm(null, "Create application")}`);
    const form = document.getElementById("app-form");
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      busy(form, async () => {
        clearFormErrors(form);
        try {
          const app = await api("POST", `${acct(ac)}/Applications.json`, appParams(form, null));
          flash = { kind: "ok", text: `Created application ${app.sid}.` };
          go(`${BASE}/accounts/${ac}/applications/${app.sid}`);
        } catch (error) { showFormError(form, error); }
      });
    });
  });

  route(`/accounts/(AC${SID})/applications/(AP${SID})`, async (ctx, ac, ap) => {
    const [app, numbers] = await Promise.all([
      api("GET", `${acct(ac)}/Applications/${ap}.json`),
      listAll(`${acct(ac)}/IncomingPhoneNumbers.json`, "incoming_phone_numbers", null, 1000),
    ]);
    ctx.dataArrived();
    const using = numbers.filter((n) => n.voice_application_sid === ap || n.sms_application_sid === ap);
    const name = app.friendly_name ?? "(no name)";
    ctx.done(name, html`
      <p class="crumbs"><a href="${BASE}/accounts/${ac}">${ac}</a> › <a href="${BASE}/accounts/${ac}/applications">Applications</a> › ${ap}</p>
      <h1>${name}</h1>
      <dl class="props">
        <dt>SID</dt><dd><code>${app.sid}</code></dd>
        <dt>Created</dt><dd>${app.date_created}</dd>
        <dt>Updated</dt><dd id="app-updated">${app.date_updated}</dd>
        <dt>Numbers using it</dt><dd>${using.length ? using.map((n, i) => html`${i ? ", " : ""}<a href="${BASE}/accounts/${ac}/numbers/${n.sid}">${n.phone_number}</a> (${[n.voice_application_sid === ap ? "voice" : "", n.sms_application_sid === ap ? "SMS" : ""].filter(Boolean).join(" and ")})`) : "none"}</dd>
      </dl>
      <h2>Edit</h2>
      ${appForm(app, "Save changes")}
      <h2 id="assign-h">Assign to a number</h2>
      ${numbers.length ? html`<form id="assign-form" class="stack" aria-labelledby="assign-h" novalidate>
        <p class="flash bad form-error" role="alert" hidden></p>
        ${selectField("assign-number", "Number", "Number", numbers.map((n) => [n.sid, `${n.phone_number} (${n.friendly_name})`]), numbers[0].sid)}
        ${checkField("assign-voice", "ForVoice", "Use for voice calls", true)}
        ${checkField("assign-sms", "ForSms", "Use for SMS", true)}
        <div class="actions"><button type="submit">Assign</button></div>
      </form>` : html`<p>This account has no numbers yet: <a href="${BASE}/accounts/${ac}/numbers">add one</a>.</p>`}
      <h2>Delete</h2>
      <div id="delete-area"><button type="button" class="danger" id="delete-app">Delete application…</button></div>`);

    const form = document.getElementById("app-form");
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      busy(form, async () => {
        clearFormErrors(form);
        try {
          const updated = await api("POST", `${acct(ac)}/Applications/${ap}.json`, appParams(form, app));
          Object.assign(app, updated);
          document.getElementById("app-updated").textContent = updated.date_updated;
          const h1 = main.querySelector("h1");
          h1.textContent = updated.friendly_name ?? "(no name)";
          showStatus(form, `Saved ${updated.sid}.`);
        } catch (error) { showFormError(form, error); }
      });
    });

    const assign = document.getElementById("assign-form");
    if (assign) {
      assign.addEventListener("submit", (event) => {
        event.preventDefault();
        busy(assign, async () => {
          clearFormErrors(assign);
          const params = {};
          if (assign.ForVoice.checked) params.VoiceApplicationSid = ap;
          if (assign.ForSms.checked) params.SmsApplicationSid = ap;
          if (!Object.keys(params).length) {
            showFormError(assign, { message: "ForVoice: choose voice, SMS or both" });
            return;
          }
          try {
            const n = await api("POST", `${acct(ac)}/IncomingPhoneNumbers/${assign.Number.value}.json`, params);
            flash = { kind: "ok", text: `${n.phone_number} now uses this application.` };
            go(location.pathname, { replace: true });
          } catch (error) { showFormError(assign, error, "Number"); }
        });
      });
    }

    confirmDelete("delete-app", "Delete this application? Numbers using it lose the link.", async () => {
      await api("DELETE", `${acct(ac)}/Applications/${ap}.json`);
      flash = { kind: "ok", text: `Deleted application ${name} (${ap}).` };
      go(`${BASE}/accounts/${ac}/applications`);
    });
  });

  /**
   * A two-step delete: the button opens a confirmation whose default is Cancel (it has the
   * focus, so Enter cancels). Cancel or Escape close it and give the focus back to the button;
   * the rest of the page (an edit not saved yet) is left as it was.
   */
  function confirmDelete(buttonId, question, action) {
    const button = document.getElementById(buttonId);
    const area = button.parentElement;
    button.addEventListener("click", () => {
      area.innerHTML = html`<div class="confirm" role="alertdialog" aria-labelledby="${buttonId}-q">
        <p id="${buttonId}-q"><strong>${question}</strong></p>
        <p class="flash bad form-error" role="alert" hidden></p>
        <div class="actions"><button type="button" class="danger" id="${buttonId}-yes">Yes, delete</button>
        <button type="button" class="secondary" id="${buttonId}-no">Cancel</button></div></div>`.html;
      const dialog = area.firstElementChild;
      const yes = document.getElementById(`${buttonId}-yes`);
      let deleting = false;
      const close = () => {
        if (deleting) return;
        area.replaceChildren(button);
        button.focus();
      };
      document.getElementById(`${buttonId}-no`).addEventListener("click", close);
      dialog.addEventListener("keydown", (event) => {
        if (event.key !== "Escape") return;
        event.preventDefault();
        close();
      });
      yes.addEventListener("click", async () => {
        deleting = true;
        yes.disabled = true;
        try { await action(); } catch (error) {
          const box = dialog.querySelector(".form-error");
          box.textContent = `Not deleted: ${describe(error)}`;
          box.hidden = false;
          reveal(box);
        } finally {
          deleting = false;
          yes.disabled = false;
        }
      });
      document.getElementById(`${buttonId}-no`).focus();
    });
  }

  function showStatus(form, text) {
    let box = form.querySelector(".form-ok");
    if (!box) {
      box = document.createElement("p");
      box.className = "flash ok form-ok";
      box.setAttribute("role", "status");
      form.querySelector(".actions").after(box);
    }
    box.textContent = text;
    announce(text);
  }

  // ---------------------------------------------------------------- numbers

  async function appNames(ac, sids) {
    const unique = [...new Set(sids.filter(Boolean))].slice(0, 50);
    const names = {};
    await Promise.all(unique.map(async (sid) => {
      try { names[sid] = (await api("GET", `${acct(ac)}/Applications/${sid}.json`)).friendly_name; } catch { names[sid] = null; }
    }));
    return names;
  }

  route(`/accounts/(AC${SID})/numbers`, async (ctx, ac) => {
    const numbers = await listAll(`${acct(ac)}/IncomingPhoneNumbers.json`, "incoming_phone_numbers");
    const names = await appNames(ac, numbers.flatMap((n) => [n.voice_application_sid, n.sms_application_sid]));
    ctx.dataArrived();
    const appLink = (sid) => (sid ? `<a href="${BASE}/accounts/${ac}/applications/${esc(sid)}">${esc(names[sid] ?? sid)}</a>` : "—");
    const table = pagedTable({
      id: "number-table",
      items: numbers,
      noun: "number",
      plural: "numbers",
      filterLabel: "Filter by number, name or SID",
      head: ["Number", "Friendly name", "Voice application", "SMS application", "SID"],
      text: (n) => `${n.phone_number} ${n.friendly_name} ${n.sid}`,
      row: (n) => `<tr><td><a href="${BASE}/accounts/${ac}/numbers/${esc(n.sid)}">${esc(n.phone_number)}</a></td><td>${esc(n.friendly_name)}</td><td>${appLink(n.voice_application_sid)}</td><td>${appLink(n.sms_application_sid)}</td><td class="sid">${esc(n.sid)}</td></tr>`,
    });
    ctx.done("Phone numbers", html`
      <p class="crumbs"><a href="${BASE}/accounts/${ac}">${ac}</a> › Numbers</p>
      <h1>Phone numbers</h1>
      ${numbers.length ? table.markup : html`<p>No numbers yet.</p>`}
      <h2 id="new-number-h">Add a number</h2>
      <form id="number-form" class="stack" aria-labelledby="new-number-h" novalidate>
        <p class="flash bad form-error" role="alert" hidden></p>
        ${textField("number-phone", "PhoneNumber", "Phone number", { type: "tel", hint: "E.164, for example +15005550006." })}
        <div class="actions"><button type="submit">Add number</button></div>
      </form>`);
    if (numbers.length) table.mount();
    const form = document.getElementById("number-form");
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      busy(form, async () => {
        clearFormErrors(form);
        try {
          const n = await api("POST", `${acct(ac)}/IncomingPhoneNumbers.json`, { PhoneNumber: form.PhoneNumber.value.trim() });
          flash = { kind: "ok", text: `Added ${n.phone_number}.` };
          go(`${BASE}/accounts/${ac}/numbers/${n.sid}`);
        } catch (error) { showFormError(form, error, "PhoneNumber"); }
      });
    });
  });

  route(`/accounts/(AC${SID})/numbers/(PN${SID})`, async (ctx, ac, pn) => {
    const [number, page] = await Promise.all([
      api("GET", `${acct(ac)}/IncomingPhoneNumbers/${pn}.json`),
      api("GET", `${acct(ac)}/Applications.json`, { PageSize: "1000" }),
    ]);
    ctx.dataArrived();
    const options = [["", "(none: the number's own URLs)"], ...page.applications.map((a) => [a.sid, `${a.friendly_name ?? "(no name)"} · ${a.sid}`])];
    ctx.done(number.phone_number, html`
      <p class="crumbs"><a href="${BASE}/accounts/${ac}">${ac}</a> › <a href="${BASE}/accounts/${ac}/numbers">Numbers</a> › ${number.phone_number}</p>
      <h1>${number.phone_number}</h1>
      <dl class="props">
        <dt>SID</dt><dd><code>${number.sid}</code></dd>
        <dt>Friendly name</dt><dd>${number.friendly_name}</dd>
        <dt>Type</dt><dd>${number.type}</dd>
        <dt>Voice URL (own)</dt><dd>${show(number.voice_url)}</dd>
        <dt>SMS URL (own)</dt><dd>${show(number.sms_url)}</dd>
        <dt>Created</dt><dd>${number.date_created}</dd>
      </dl>
      <h2 id="assign-h">Applications</h2>
      <p class="hint">An application's URLs serve this number's calls and messages instead of its own URLs.</p>
      <form id="number-apps" class="stack" aria-labelledby="assign-h" novalidate>
        <p class="flash bad form-error" role="alert" hidden></p>
        ${selectField("number-voice-app", "VoiceApplicationSid", "Voice application", options, number.voice_application_sid ?? "")}
        ${selectField("number-sms-app", "SmsApplicationSid", "SMS application", options, number.sms_application_sid ?? "")}
        <div class="actions"><button type="submit">Save applications</button>
        <a href="${BASE}/accounts/${ac}/simulate?to=${encodeURIComponent(number.phone_number)}">Simulate a call or SMS to this number</a></div>
      </form>
      <h2>Delete</h2>
      <div id="delete-area"><button type="button" class="danger" id="delete-number">Release number…</button></div>`);
    const form = document.getElementById("number-apps");
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      busy(form, async () => {
        clearFormErrors(form);
        try {
          await api("POST", `${acct(ac)}/IncomingPhoneNumbers/${pn}.json`, {
            VoiceApplicationSid: form.VoiceApplicationSid.value,
            SmsApplicationSid: form.SmsApplicationSid.value,
          });
          showStatus(form, "Saved: the number's applications are updated.");
        } catch (error) { showFormError(form, error, "VoiceApplicationSid"); }
      });
    });
    confirmDelete("delete-number", `Release ${number.phone_number} from this account?`, async () => {
      await api("DELETE", `${acct(ac)}/IncomingPhoneNumbers/${pn}.json`);
      flash = { kind: "ok", text: `Released ${number.phone_number}.` };
      go(`${BASE}/accounts/${ac}/numbers`);
    });
  });

  // ---------------------------------------------------------------- simulate and traces

  route(`/accounts/(AC${SID})/simulate`, async (ctx, ac) => {
    const numbers = await listAll(`${acct(ac)}/IncomingPhoneNumbers.json`, "incoming_phone_numbers", null, 1000);
    ctx.dataArrived();
    const wanted = new URLSearchParams(location.search).get("to");
    const options = numbers.map((n) => [n.phone_number, `${n.phone_number} (${n.friendly_name})`]);
    ctx.done("Simulate", html`
      <p class="crumbs"><a href="${BASE}/accounts/${ac}">${ac}</a> › Simulate</p>
      <h1>Simulate a call or an SMS</h1>
      <p class="lead">Switchboard requests your webhooks now, as Twilio would, and shows every request it made.</p>
      ${numbers.length ? html`<form id="simulate-form" class="stack" data-failed="Not simulated" novalidate>
        <p class="flash bad form-error" role="alert" hidden></p>
        <fieldset><legend>What arrives</legend><div class="radios">
          <span><input type="radio" id="sim-kind-call" name="Kind" value="call" checked> <label for="sim-kind-call">A call</label></span>
          <span><input type="radio" id="sim-kind-sms" name="Kind" value="sms"> <label for="sim-kind-sms">An SMS</label></span>
        </div></fieldset>
        ${selectField("sim-to", "To", "To (your number)", options, wanted || options[0][0])}
        ${textField("sim-from", "From", "From", { type: "tel", value: "+14155550100", hint: "The caller or sender, E.164." })}
        <div id="sim-call-fields">
          ${textField("sim-caller-name", "CallerName", "Caller name", { hint: "Sent when the application looks up caller names." })}
        </div>
        <div id="sim-sms-fields" hidden>
          <div class="field"><label for="sim-body">Message body</label>
          <textarea id="sim-body" name="Body" rows="3" aria-describedby="sim-body-error">Hello</textarea>${errorBox("sim-body")}</div>
        </div>
        <div class="actions"><button type="submit">Simulate</button></div>
      </form>
      <section id="trace-result" aria-live="polite" aria-label="Result"></section>` : html`<p>This account has no numbers: <a href="${BASE}/accounts/${ac}/numbers">add one</a> first.</p>`}`);
    const form = document.getElementById("simulate-form");
    if (!form) return;
    const result = document.getElementById("trace-result");
    const sync = () => {
      const sms = form.querySelector("#sim-kind-sms").checked;
      document.getElementById("sim-sms-fields").hidden = !sms;
      document.getElementById("sim-call-fields").hidden = sms;
    };
    form.querySelectorAll('[name="Kind"]').forEach((r) => r.addEventListener("change", sync));
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      busy(form, async () => {
        clearFormErrors(form);
        const sms = form.querySelector("#sim-kind-sms").checked;
        const params = { To: form.To.value, From: form.From.value.trim() };
        if (sms) params.Body = form.Body.value;
        else if (form.CallerName.value.trim()) params.CallerName = form.CallerName.value.trim();
        result.innerHTML = html`<p>Running…</p>`.html;
        try {
          const trace = await api("POST", `${ext(ac)}/${sms ? "InboundMessages" : "InboundCalls"}`, params);
          const t0 = performance.now();
          result.innerHTML = traceHtml(ac, trace).html;
          void result.offsetHeight;
          timing.renderMs = performance.now() - t0;
          main.dataset.renderMs = timing.renderMs.toFixed(1);
          const first = result.querySelector("h2");
          if (first) { first.tabIndex = -1; first.focus(); }
        } catch (error) {
          result.innerHTML = "";
          showFormError(form, error, "To");
        }
      });
    });
  });

  const ok = (status) => status >= 200 && status < 300;

  /** A trace as a timeline: each request, its parameters, signature, answer, timing and why a
   *  fallback fired. */
  function traceHtml(ac, trace) {
    const isCall = Boolean(trace.call_sid);
    const sid = trace.call_sid || trace.message_sid;
    const failed = trace.status !== "completed";
    const steps = trace.requests.map((r, i) => {
      const prev = i > 0 ? trace.requests[i - 1] : null;
      const bad = Boolean(r.error_code) || !ok(r.status_code);
      const signature = (r.headers && (r.headers["X-Twilio-Signature"] || r.headers["x-twilio-signature"])) || "";
      const why = /_fallback_url$/.test(r.purpose) && prev
        ? html`<p class="why"><strong>Why this fallback fired:</strong> request ${i} (${prev.purpose}) failed${prev.error_code ? html` with error <strong>${prev.error_code}</strong>: ${prev.error_message}` : prev.status_code ? ` with HTTP ${prev.status_code}` : ""}.</p>`
        : "";
      const params = Object.entries(r.params || {});
      const headers = Object.entries(r.headers || {});
      return html`<li class="${bad ? "failed" : "ok"}" aria-labelledby="step-${i + 1}">
        <div class="step-head">
          <h3 id="step-${i + 1}">${i + 1}. ${r.purpose}</h3>
          <span class="badge ${bad ? "bad" : "ok"}">${r.status_code ? `HTTP ${r.status_code}` : "no answer"}</span>
          <span class="muted">${Number(r.duration_ms).toFixed(1)} ms</span>
        </div>
        ${why}
        <p><code>${r.method} ${r.url}</code></p>
        <dl class="props">
          <dt>X-Twilio-Signature</dt><dd class="signature"><code class="sig">${signature || "—"}</code></dd>
          <dt>Status</dt><dd>${r.status_code ?? "—"}</dd>
          <dt>Content type</dt><dd>${show(r.content_type)}</dd>
          <dt>Duration</dt><dd>${Number(r.duration_ms).toFixed(1)} ms</dd>
          ${r.error_code ? html`<dt>Error</dt><dd><strong>${r.error_code}</strong>: ${r.error_message}</dd>` : ""}
        </dl>
        <details open><summary>Parameters (${params.length})</summary>
          <table class="params"><thead><tr><th scope="col">Name</th><th scope="col">Value</th></tr></thead>
          <tbody>${params.map(([k, v]) => html`<tr><td>${k}</td><td>${v}</td></tr>`)}</tbody></table>
        </details>
        <details><summary>Request headers (${headers.length})</summary>
          <table class="params"><thead><tr><th scope="col">Header</th><th scope="col">Value</th></tr></thead>
          <tbody>${headers.map(([k, v]) => html`<tr><td>${k}</td><td>${v}</td></tr>`)}</tbody></table>
        </details>
        <details${raw(r.response_body ? " open" : "")}><summary>Response body</summary><pre>${show(r.response_body)}</pre></details>
      </li>`;
    });
    return html`<div class="trace">
      <div class="trace-summary">
        <h2 id="trace-h">${isCall ? "Call" : "Message"} <code>${sid}</code>
          <span class="badge ${failed ? "bad" : "ok"}">${trace.status}</span></h2>
        <dl class="props">
          <dt>From</dt><dd>${trace.from}</dd><dt>To</dt><dd>${trace.to}</dd>
          <dt>Application</dt><dd>${trace.application_sid ? html`<a href="${BASE}/accounts/${ac}/applications/${trace.application_sid}">${trace.application_sid}</a>` : "— (the number's own URLs)"}</dd>
          <dt>Date</dt><dd>${trace.date_created}</dd>
          ${trace.error_code ? html`<dt>Error</dt><dd><strong>${trace.error_code}</strong>: ${trace.error_message}</dd>` : ""}
          <dt>Verbs</dt><dd>${trace.verbs.length ? trace.verbs.map((v) => v.verb).join(", ") : "—"}</dd>
        </dl>
        ${trace.warnings.length ? html`<p class="why"><strong>Warnings:</strong> ${trace.warnings.join("; ")}</p>` : ""}
        ${(trace.messages || []).length ? html`<h3>Replies</h3><ul>${trace.messages.map((m) => html`<li>${m.from} → ${m.to}: “${m.body}” (${m.status})</li>`)}</ul>` : ""}
        <p><a href="${BASE}/accounts/${ac}/${isCall ? "calls" : "messages"}/${sid}">Permanent link to this trace</a></p>
      </div>
      <h2 id="timeline-h">Timeline: ${trace.requests.length} request${trace.requests.length === 1 ? "" : "s"}</h2>
      <ol class="timeline" aria-labelledby="timeline-h">${steps}</ol>
      ${trace.twiml ? html`<h3>Last TwiML executed</h3><pre>${trace.twiml}</pre>` : ""}
    </div>`;
  }

  for (const [segment, prefix, resource] of [["calls", "CA", "InboundCalls"], ["messages", "SM", "InboundMessages"]]) {
    route(`/accounts/(AC${SID})/${segment}/(${prefix}${SID})`, async (ctx, ac, sid) => {
      const trace = await api("GET", `${ext(ac)}/${resource}/${sid}`);
      ctx.dataArrived();
      ctx.done(`Trace ${sid}`, html`
        <p class="crumbs"><a href="${BASE}/accounts/${ac}">${ac}</a> › <a href="${BASE}/accounts/${ac}/requests">Request log</a> › ${sid}</p>
        <h1>${segment === "calls" ? "Simulated call" : "Simulated message"}</h1>
        ${traceHtml(ac, trace)}`);
    });
  }

  // ---------------------------------------------------------------- request log

  route(`/accounts/(AC${SID})/requests`, async (ctx, ac) => {
    let page = await api("GET", `${ext(ac)}/Requests`, { PageSize: "50" });
    ctx.dataArrived();
    let paused = false;
    let seen = new Set(page.requests.map((r) => r.sid));
    const row = (r, fresh) => {
      const trace = r.call_sid || r.message_sid;
      const segment = r.call_sid ? "calls" : "messages";
      const bad = Boolean(r.error_code) || !ok(r.status_code);
      return html`<tr${raw(fresh ? ' class="fresh"' : "")}>
        <td>${r.date_created}</td>
        <td class="sid"><a href="${BASE}/accounts/${ac}/${segment}/${trace}">${trace}</a></td>
        <td>${r.purpose}</td><td>${r.method}</td><td class="url">${shortUrl(r.url)}</td>
        <td><span class="badge ${bad ? "bad" : "ok"}">${r.status_code ?? "—"}</span></td>
        <td>${Number(r.duration_ms).toFixed(1)}</td>
        <td>${r.error_code ? `${r.error_code}: ${r.error_message}` : ""}</td></tr>`;
    };
    const body = (items, freshSids) => html`${items.map((r) => row(r, freshSids.has(r.sid)))}`.html;
    ctx.done("Request log", html`
      <p class="crumbs"><a href="${BASE}/accounts/${ac}">${ac}</a> › Request log</p>
      <h1>Request log</h1>
      <div class="log-controls">
        <button type="button" id="log-pause" aria-pressed="false">Pause updates</button>
        <span id="log-state" class="muted">Live: checks every 2 seconds.</span>
        <span id="log-news" role="status" aria-live="polite"></span>
      </div>
      <div class="table-wrap" role="region" aria-labelledby="log-caption" tabindex="0"><table id="log-table">
        <caption id="log-caption">The newest ${page.requests.length} webhook requests</caption>
        <thead><tr><th scope="col">Time</th><th scope="col">Call or message</th><th scope="col">Purpose</th><th scope="col">Method</th><th scope="col">URL</th><th scope="col">Status</th><th scope="col">ms</th><th scope="col">Error</th></tr></thead>
        <tbody>${raw(body(page.requests, new Set()))}</tbody></table></div>
      ${page.requests.length ? "" : html`<p id="log-empty">No requests yet: <a href="${BASE}/accounts/${ac}/simulate">simulate a call or an SMS</a>.</p>`}`);
    const tbody = document.querySelector("#log-table tbody");
    const caption = document.getElementById("log-caption");
    const news = document.getElementById("log-news");
    const state = document.getElementById("log-state");
    const pause = document.getElementById("log-pause");
    pause.addEventListener("click", () => {
      paused = !paused;
      pause.setAttribute("aria-pressed", String(paused));
      pause.textContent = paused ? "Resume updates" : "Pause updates";
      state.textContent = paused ? "Paused." : "Live: checks every 2 seconds.";
    });
    let running = false;
    const poll = async () => {
      if (paused || running || !ctx.current()) return;
      running = true;
      try {
        page = await api("GET", `${ext(ac)}/Requests`, { PageSize: "50" });
        if (!ctx.current()) return;
        const fresh = new Set(page.requests.filter((r) => !seen.has(r.sid)).map((r) => r.sid));
        if (fresh.size) {
          tbody.innerHTML = body(page.requests, fresh);
          caption.textContent = `The newest ${page.requests.length} webhook requests`;
          const empty = document.getElementById("log-empty");
          if (empty) empty.remove();
          news.textContent = `${fresh.size} new request${fresh.size === 1 ? "" : "s"}`;
        }
        seen = new Set(page.requests.map((r) => r.sid));
        state.textContent = `Live: updated ${new Date().toLocaleTimeString()}.`;
      } catch (error) {
        state.textContent = `Could not update: ${describe(error)}`;
      } finally {
        running = false;
      }
    };
    const timer = setInterval(poll, POLL_MS);
    ctx.onLeave(() => clearInterval(timer));
  });

  // ---------------------------------------------------------------- fallbacks

  async function notFoundPage(ctx) {
    ctx.done("Not found", html`<h1>Page not found</h1><p>No console page at <code>${location.pathname}</code>.</p>
      <p><a href="${BASE}/">Back to the start</a></p>`);
  }

  render(false);
})();
