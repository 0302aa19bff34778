/* Who is signed in, for this browser session, in every tab of the console.
 *
 * Each tab keeps the credentials in its own sessionStorage (never localStorage: nothing outlives
 * the browser session). Tabs of the same origin talk over a BroadcastChannel: a new tab asks the
 * others for the session; signing in or out in one tab signs in or out every tab. So the session
 * lasts as long as one console tab is open, and closing the last one forgets it.
 */

const KEY = "switchboard.console.session";
const ASK_MS = 150; // how long a new tab waits for another tab's answer
const channel = "BroadcastChannel" in window ? new BroadcastChannel("switchboard.console") : null;
const me = Math.random().toString(36).slice(2);
let asking = null; // { resolve, timer } while this tab waits for an answer
let onChange = () => {};

export function getSession() {
  try { return JSON.parse(sessionStorage.getItem(KEY) || "null"); } catch { return null; }
}

const post = (message) => { if (channel) channel.postMessage({ ...message, from: me }); };

/** Sign in (in every tab). */
export function setSession(session) {
  sessionStorage.setItem(KEY, JSON.stringify(session));
  post({ type: "signed-in", session });
}

/** Sign out (in every tab). */
export function clearSession() {
  sessionStorage.removeItem(KEY);
  post({ type: "signed-out" });
}

/** `fn(reason)` runs when another tab signed in or out here ("signed-in" | "signed-out"). */
export function whenChanged(fn) { onChange = fn; }

/** This tab's session, or one another open tab hands over (null when none answers soon). */
export function findSession() {
  const own = getSession();
  if (own || !channel) return Promise.resolve(own);
  return new Promise((resolve) => {
    asking = { resolve, timer: setTimeout(() => { asking = null; resolve(null); }, ASK_MS) };
    post({ type: "who" });
  });
}

if (channel) {
  channel.addEventListener("message", ({ data }) => {
    if (!data || data.from === me) return;
    const own = getSession();
    if (data.type === "who" && own) {
      post({ type: "session", to: data.from, session: own });
    } else if (data.type === "session" && data.to === me && asking) {
      const { resolve, timer } = asking;
      asking = null;
      clearTimeout(timer);
      sessionStorage.setItem(KEY, JSON.stringify(data.session));
      resolve(data.session);
    } else if (data.type === "signed-in") {
      if (own && own.username === data.session.username && own.password === data.session.password) return;
      sessionStorage.setItem(KEY, JSON.stringify(data.session));
      onChange("signed-in");
    } else if (data.type === "signed-out" && own) {
      sessionStorage.removeItem(KEY);
      onChange("signed-out");
    }
  });
}
