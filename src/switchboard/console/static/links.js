/* Links between numbers and applications, in words, for the pickers. */

import { acct, api } from "./api.js";

/** Every application of the account (at most 1000, one request): SID -> name. */
export async function appNames(ac, apps = null) {
  const list = apps || (await api("GET", `${acct(ac)}/Applications.json`, { PageSize: "1000" })).applications;
  return Object.fromEntries(list.map((a) => [a.sid, a.friendly_name ?? "(no name)"]));
}

/** "+15005550006 (Front desk)" */
export const numberLabel = (n) => (n.friendly_name && n.friendly_name !== n.phone_number
  ? `${n.phone_number} (${n.friendly_name})`
  : n.phone_number);

/** What a number uses now: "Voice: Support line · SMS: none". `names`: application SID -> name. */
export function linksOf(number, names) {
  const name = (sid) => (sid ? `“${names[sid] ?? sid}”` : "its own URLs");
  return `Voice: ${name(number.voice_application_sid)} · SMS: ${name(number.sms_application_sid)}`;
}

/** For each application SID, the numbers that use it: "Used by +1… (voice and SMS), +1… (SMS)". */
export function usersOf(numbers) {
  const uses = {};
  for (const n of numbers) {
    for (const [sid, what] of [[n.voice_application_sid, "voice"], [n.sms_application_sid, "SMS"]]) {
      if (!sid) continue;
      (uses[sid] ??= new Map()).set(n.phone_number, [...(uses[sid].get(n.phone_number) || []), what]);
    }
  }
  const out = {};
  for (const [sid, map] of Object.entries(uses)) {
    out[sid] = `Used by ${[...map].map(([phone, whats]) => `${phone} (${whats.join(" and ")})`).join(", ")}`;
  }
  return out;
}
