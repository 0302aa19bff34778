/* The writable fields the console's forms edit, declared once (label, kind, form group, hint),
 * as twilio/resources.py declares them for the API (applications and numbers share most): their
 * controls, their rules, and their values as API parameters. */

import { METHODS, checkField, selectField, textField } from "./forms.js";
import * as rules from "./rules.js";

const CATALOGUE = {
  friendly_name: { label: "Friendly name", kind: "text", group: "General", hint: "1 to 64 characters." },
  api_version: { label: "API version", kind: "select", group: "General", options: [["2010-04-01", "2010-04-01"], ["2008-08-01", "2008-08-01"]] },
  voice_url: { label: "Voice URL", kind: "url", group: "Voice" },
  voice_method: { label: "Voice method", kind: "method", group: "Voice" },
  voice_fallback_url: { label: "Voice fallback URL", kind: "url", group: "Voice", hint: "Requested when the voice URL fails." },
  voice_fallback_method: { label: "Voice fallback method", kind: "method", group: "Voice" },
  status_callback: { label: "Status callback URL", kind: "url", group: "Voice" },
  status_callback_method: { label: "Status callback method", kind: "method", group: "Voice" },
  voice_caller_id_lookup: { label: "Look up the caller's name (CallerName)", kind: "bool", group: "Voice" },
  sms_url: { label: "SMS URL", kind: "url", group: "Messaging" },
  sms_method: { label: "SMS method", kind: "method", group: "Messaging" },
  sms_fallback_url: { label: "SMS fallback URL", kind: "url", group: "Messaging" },
  sms_fallback_method: { label: "SMS fallback method", kind: "method", group: "Messaging" },
  sms_status_callback: { label: "SMS status callback URL", kind: "url", group: "Messaging" },
  message_status_callback: { label: "Message status callback URL", kind: "url", group: "Messaging" },
  public_application_connect_enabled: { label: "Public application connect enabled", kind: "bool", group: "Other" },
};

const pascal = (key) => key.split("_").map((p) => p[0].toUpperCase() + p.slice(1)).join("");

/** The fields `keys` (in that order) for a form whose ids start with `prefix`; `hints` replace a
 *  field's hint. Each gets its API parameter (`VoiceUrl`) and its input's id (`app-voice-url`). */
export function fields(prefix, keys, hints = {}) {
  return keys.map((key) => ({
    ...CATALOGUE[key],
    key,
    hint: hints[key] ?? CATALOGUE[key].hint ?? "",
    param: pascal(key),
    id: `${prefix}-${key.replace(/_/g, "-")}`,
  }));
}

/** What applications and numbers both have: their voice and SMS webhooks. */
export const WEBHOOKS = [
  "voice_url", "voice_method", "voice_fallback_url", "voice_fallback_method",
  "status_callback", "status_callback_method", "voice_caller_id_lookup",
  "sms_url", "sms_method", "sms_fallback_url", "sms_fallback_method",
];

/** The rules of `fields`' parameters (URLs, friendly name) as the API checks them. */
export function fieldRules(fields, { optionalName = false } = {}) {
  const out = {};
  for (const f of fields) {
    if (f.kind === "url") out[f.param] = rules.url(f.label);
    if (f.key === "friendly_name") out[f.param] = rules.friendlyName(f.label, { optional: optionalName });
  }
  return out;
}

/** One field of a field list, as a form control with `value`. */
export function fieldControl(f, value) {
  if (f.kind === "bool") return checkField(f.id, f.param, f.label, value === true);
  if (f.kind === "method") return selectField(f.id, f.param, f.label, METHODS, value || "POST");
  if (f.kind === "select") return selectField(f.id, f.param, f.label, f.options, value || f.options[0][0]);
  return textField(f.id, f.param, f.label, { value: value ?? "", type: f.kind === "url" ? "url" : "text", hint: f.hint });
}

/** The form's values of `fields` as API parameters. Creating (`existing` null), empty values are
 *  left out; updating, an empty URL is sent (it clears the URL). */
export function fieldParams(form, fields, existing) {
  const params = {};
  for (const f of fields) {
    const input = form.elements[f.param];
    if (f.kind === "bool") { params[f.param] = input.checked ? "true" : "false"; continue; }
    const value = input.value.trim();
    if (f.key === "friendly_name") {
      if (value || (existing && existing.friendly_name !== null)) params[f.param] = value;
      continue;
    }
    if (value || existing) params[f.param] = value;
  }
  return params;
}
