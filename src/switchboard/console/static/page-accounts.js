/* Signing in, the accounts (the signed-in one and its subaccounts): create (the auth token shown
 * once), rename, suspend, reactivate, close (confirmed: closing is final). */

import { TW, acct, api, listAll, verify } from "./api.js";
import { BASE, SID, go, handoff, path, route, setFlash, setSignInPage } from "./app.js";
import { copy } from "./curl.js";
import { askFirst, busy, checkFields, formErrors, onSubmit, showFormError, showStatus, textField } from "./forms.js";
import { dateHtml, html, sidHtml } from "./html.js";
import * as rules from "./rules.js";
import { getSession, setSession } from "./session.js";
import { table } from "./tables.js";

// ---------------------------------------------------------------- sign in

const SIGN_IN_RULES = {
  Username: rules.sid("Account SID or API key SID", ["AC", "SK"]),
  Password: rules.required("Auth token or API key secret", 20003),
};

setSignInPage(async (ctx) => {
  ctx.done("Sign in", html`
    <h1>Sign in</h1>
    <p class="lead">Use an account SID and its auth token, or an API key SID (SK…) and its secret.
    The credentials stay in this browser's console tabs for this session and go to this server only.</p>
    <form id="sign-in" class="stack" data-failed="Not signed in" novalidate>
      ${formErrors()}
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
});

async function signIn(form) {
  const username = form.Username.value.trim();
  const isKey = username.startsWith("SK");
  const checks = { ...SIGN_IN_RULES };
  if (isKey) checks.AccountSid = rules.sid("Account SID (only with an API key)", ["AC"]);
  if (!checkFields(form, checks)) return;
  const password = form.Password.value;
  const accountSid = isKey ? form.AccountSid.value.trim() : username;
  const session = { username, password, accountSid, isKey };
  try {
    await verify(session);
  } catch (error) {
    if (error.status === 401 && error.code === 20003) {
      return showFormError(form, { message: "Password: these credentials were refused", status: 400, code: 20003 }, "Password");
    }
    return showFormError(form, error); // an account not active (20005), the server unreachable...
  }
  setSession(session);
  setFlash("ok", "Signed in.");
  const p = path();
  go(p === "/" || p === "/signin" ? `${BASE}/accounts/${accountSid}` : location.pathname + location.search, { replace: true });
}

route("/", async () => go(`${BASE}/accounts/${getSession().accountSid}`, { replace: true }));
route("/signin", async () => go(`${BASE}/accounts/${getSession().accountSid}`, { replace: true }));

// ---------------------------------------------------------------- accounts

const kind = (a) => (a.sid === a.owner_account_sid ? "Top-level" : "Subaccount");

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
  ctx.done("Accounts", html`<h1>Accounts</h1>
    <p class="lead">The account you signed in with and its subaccounts.</p>
    ${table({
      id: "account-table",
      caption: `${items.length} account${items.length === 1 ? "" : "s"}`,
      head: ["Friendly name", "SID", "Kind", "Status", "Created"],
      rows: items.map((a) => [html`<a href="${BASE}/accounts/${a.sid}">${a.friendly_name}</a>`, sidHtml(a.sid), kind(a), statusBadge(a.status), dateHtml(a.date_created)]),
    })}
    ${canCreate ? html`<h2 id="new-sub-h">Create a subaccount</h2>
    <form id="new-subaccount" class="stack" aria-labelledby="new-sub-h" novalidate>
      ${formErrors()}
      ${textField("sub-name", "FriendlyName", "Friendly name", { hint: "Optional; 1 to 64 characters." })}
      <div class="actions"><button type="submit">Create subaccount</button></div>
    </form>` : ""}`);
  const form = document.getElementById("new-subaccount");
  if (!form) return;
  onSubmit(form, {
    rules: { FriendlyName: rules.friendlyName("Friendly name", { optional: true }) },
    fallbackParam: "FriendlyName",
    send: async () => {
      const name = form.FriendlyName.value.trim();
      const created = await api("POST", `${TW}/Accounts.json`, name ? { FriendlyName: name } : {});
      handoff.secret = { sid: created.sid, value: created.auth_token, what: "auth token" };
      setFlash("ok", `Created subaccount ${created.sid}.`);
      go(`${BASE}/accounts/${created.sid}`);
    },
  });
});

const statusBadge = (status) => html`<span class="badge ${status === "active" ? "ok" : status === "closed" ? "bad" : "neutral"}">${status}</span>`;

/** A secret the previous page just made (a subaccount's auth token, a key's secret), shown this
 *  once, for `sid` only. */
export function secretOnce(sid) {
  const secret = handoff.secret;
  if (!secret || secret.sid !== sid) return html``;
  delete handoff.secret;
  return html`<section class="secret" aria-labelledby="secret-h">
    <h2 id="secret-h">Its ${secret.what}, shown this once</h2>
    <p>Copy it now and keep it somewhere safe: the console will not show it again.</p>
    <p><code id="secret-value" class="secret-value">${secret.value}</code></p>
    <div class="actions"><button type="button" id="copy-secret" class="secondary">Copy the ${secret.what}</button>
    <span id="copy-secret-status" role="status"></span></div>
  </section>`;
}

export function mountSecretCopy() {
  const button = document.getElementById("copy-secret");
  if (!button) return;
  button.addEventListener("click", () => copy(
    document.getElementById("secret-value").textContent,
    "the secret",
    document.getElementById("copy-secret-status"),
  ));
}

route(`/accounts/(AC${SID})`, async (ctx, ac) => {
  const s = getSession();
  let account = null;
  if (s.isKey) {
    // A key cannot read accounts; whether it reaches this one, its applications tell.
    if (ac !== s.accountSid) await api("GET", `${acct(ac)}/Applications.json`, { PageSize: "1" });
  } else account = await api("GET", `${acct(ac)}.json`);
  ctx.dataArrived();
  const isSub = account && account.owner_account_sid !== account.sid;
  const isParent = isSub && account.owner_account_sid === s.accountSid;
  const props = account ? html`<dl class="props">
      <dt>SID</dt><dd>${sidHtml(account.sid)}</dd>
      <dt>Friendly name</dt><dd id="account-name">${account.friendly_name}</dd>
      <dt>Status</dt><dd id="account-status">${statusBadge(account.status)}</dd>
      <dt>Type</dt><dd>${account.type}</dd>
      <dt>Owner account</dt><dd>${isSub ? html`<a href="${BASE}/accounts/${account.owner_account_sid}">${sidHtml(account.owner_account_sid)}</a>` : "— (top-level)"}</dd>
      <dt>Created</dt><dd>${dateHtml(account.date_created)}</dd>
      <dt>Updated</dt><dd id="account-updated">${dateHtml(account.date_updated)}</dd>
    </dl>` : html`<p>An API key cannot read account details.</p>`;
  const closed = account && account.status === "closed";
  ctx.done(account ? account.friendly_name : ac, html`
    <p class="crumbs"><a href="${BASE}/accounts">Accounts</a> › ${ac}</p>
    <h1>${account ? account.friendly_name : "Account"} ${isSub ? html`<span class="badge neutral">Subaccount</span>` : ""}</h1>
    ${secretOnce(ac)}
    ${props}
    <div class="cards">
      <a href="${BASE}/accounts/${ac}/applications"><strong>Applications</strong>Voice and messaging webhooks</a>
      <a href="${BASE}/accounts/${ac}/numbers"><strong>Phone numbers</strong>Numbers and the application each uses</a>
      <a href="${BASE}/accounts/${ac}/keys"><strong>API keys</strong>Credentials for code, each revocable</a>
      <a href="${BASE}/accounts/${ac}/phone"><strong>Phone</strong>Call your numbers, text them from a handset</a>
      <a href="${BASE}/accounts/${ac}/messages"><strong>Messages</strong>Sent and received, with each status</a>
      <a href="${BASE}/accounts/${ac}/calls"><strong>Calls</strong>Made with the API, with each status</a>
      <a href="${BASE}/accounts/${ac}/recordings"><strong>Recordings</strong>What calls recorded, with a player</a>
      <a href="${BASE}/accounts/${ac}/simulate"><strong>Simulate</strong>An inbound call or SMS, with its trace</a>
      <a href="${BASE}/accounts/${ac}/requests"><strong>Request log</strong>Every webhook request, live</a>
      <a href="${BASE}/accounts/${ac}/status"><strong>Status</strong>Version, database, counts</a>
    </div>
    ${account && !closed ? html`<h2 id="rename-h">Rename</h2>
    <form id="rename-form" class="stack" aria-labelledby="rename-h" novalidate>
      ${formErrors()}
      ${textField("account-friendly-name", "FriendlyName", "Friendly name", { value: account.friendly_name, hint: "1 to 64 characters." })}
      <div class="actions"><button type="submit">Rename</button></div>
    </form>` : ""}
    ${isParent ? statusControls(account) : ""}`);
  mountSecretCopy();
  const rename = document.getElementById("rename-form");
  if (rename) {
    onSubmit(rename, {
      rules: { FriendlyName: rules.friendlyName("Friendly name") },
      fallbackParam: "FriendlyName",
      send: async () => {
        const updated = await api("POST", `${acct(ac)}.json`, { FriendlyName: rename.FriendlyName.value.trim() });
        Object.assign(account, updated);
        main().querySelector("h1").firstChild.textContent = `${updated.friendly_name} `;
        document.getElementById("account-name").textContent = updated.friendly_name;
        showStatus(rename, `Renamed to “${updated.friendly_name}”.`);
      },
    });
  }
  if (isParent) mountStatusControls(ac, account);
});

const main = () => document.getElementById("main");

function statusControls(account) {
  if (account.status === "closed") {
    return html`<h2>Status</h2><p>This subaccount is <strong>closed</strong>: that is final, it cannot be reopened.</p>`;
  }
  const suspended = account.status === "suspended";
  return html`<h2 id="status-h">Status</h2>
    <p>${suspended
      ? "Suspended: its credentials are refused until you reactivate it."
      : "Active. Suspending refuses its credentials (and its API keys') until you reactivate it; closing is final."}</p>
    <div id="status-area"><form id="status-form" class="stack" aria-labelledby="status-h" data-failed="Not changed" novalidate>
      ${formErrors()}
      <div class="actions">
        <button type="submit" id="suspend" name="Status" value="${suspended ? "active" : "suspended"}" class="secondary">${suspended ? "Reactivate" : "Suspend"}</button>
        <button type="button" id="close-account" class="danger">Close subaccount…</button>
      </div>
    </form></div>`;
}

function mountStatusControls(ac, account) {
  const form = document.getElementById("status-form");
  if (!form) return;
  const setStatus = async (status) => {
    await api("POST", `${acct(ac)}.json`, { Status: status });
    setFlash("ok", status === "closed" ? `Closed ${account.friendly_name}.` : `${account.friendly_name} is now ${status}.`);
    go(location.pathname, { replace: true });
  };
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    busy(form, async () => {
      try { await setStatus(event.submitter.value); } catch (error) { showFormError(form, error); }
    });
  });
  const close = document.getElementById("close-account");
  close.addEventListener("click", () => askFirst(
    form.querySelector(".actions"),
    close,
    "close-account",
    `Close ${account.friendly_name}?`,
    () => setStatus("closed"),
    {
      yes: "Yes, close it for good",
      failed: "Not closed",
      detail: "Closing is final: a closed subaccount can never be reopened, and its auth token and API keys stop working at once.",
    },
  ));
}
