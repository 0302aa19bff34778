// twilio-node against a Switchboard server, for tests/contract (run by node_sdk.py).
//
// Reads one JSON job on stdin: {url, accountSid, authToken, scenario, ...}; prints one JSON line
// with what the SDK returned and every request it made, for the Python side to assert on.
// The client is set up as README says; before any request it checks that TWILIO_EDGE /
// TWILIO_REGION (set in this process's environment by the tests) no longer rewrite the host, so
// a broken recipe fails here instead of sending a request anywhere but 127.0.0.1.
"use strict";

const twilio = require("twilio");

function connect(job) {
  const client = twilio(job.accountSid, job.authToken);
  client.api.baseUrl = job.url;
  client.edge = client.region = undefined;

  const host = new URL(job.url).hostname;
  const target = client.getHostname(host, client.edge, client.region);
  if (target !== host) {
    throw new Error(`the recipe leaves the host rewritten: ${host} -> ${target}`);
  }
  // Every request the SDK makes, first pages and next pages alike, goes through client.request.
  const requests = [];
  const request = client.request.bind(client);
  client.request = (opts) => {
    const url = new URL(opts.uri);
    for (const [name, value] of Object.entries(opts.params || {})) {
      url.searchParams.append(name, String(value));
    }
    requests.push({ method: opts.method.toUpperCase(), url: url.href });
    return request(opts);
  };
  return { client, requests };
}

function application(app) {
  return {
    sid: app.sid,
    accountSid: app.accountSid,
    friendlyName: app.friendlyName,
    voiceUrl: app.voiceUrl,
    voiceMethod: app.voiceMethod,
    smsUrl: app.smsUrl,
    voiceCallerIdLookup: app.voiceCallerIdLookup,
    dateCreated: app.dateCreated.toISOString(),
    dateUpdated: app.dateUpdated.toISOString(),
  };
}

async function crud(client, job) {
  const created = await client.applications.create({
    friendlyName: "node app",
    voiceUrl: "https://example.com/voice",
    voiceMethod: "GET",
    smsUrl: "https://example.com/sms",
    voiceCallerIdLookup: true,
  });
  const fetched = await client.applications(created.sid).fetch();
  const updated = await client.applications(created.sid).update({
    friendlyName: "node app, renamed",
    voiceUrl: "https://example.com/voice-2",
  });
  const others = [];
  for (let i = 0; i < job.more; i++) {
    others.push((await client.applications.create({ friendlyName: `node ${i}` })).sid);
  }
  const listed = (await client.applications.list({ pageSize: job.pageSize })).map((a) => a.sid);
  const limited = (await client.applications.list({ pageSize: job.pageSize, limit: 3 })).map(
    (a) => a.sid,
  );
  const removed = await client.applications(created.sid).remove();
  let missing = null;
  try {
    await client.applications(created.sid).fetch();
  } catch (err) {
    missing = {
      restException: err instanceof twilio.RestException,
      status: err.status,
      code: err.code,
      message: err.message,
      moreInfo: err.moreInfo,
    };
  }
  const after = (await client.applications.list()).map((a) => a.sid);
  return {
    created: application(created),
    fetched: application(fetched),
    updated: application(updated),
    others,
    listed,
    limited,
    removed,
    missing,
    after,
  };
}

// `list({limit})` over a list named by its path from the client, e.g. "incomingPhoneNumbers.local";
// each record's SID and its `job.key` attribute.
async function list(client, job) {
  const resource = job.resource.split(".").reduce((obj, name) => obj[name], client);
  const records = await resource.list({ limit: job.limit });
  return { sids: records.map((r) => r.sid), keys: records.map((r) => r[job.key]) };
}

const SCENARIOS = { crud, list };

async function main() {
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  const job = JSON.parse(Buffer.concat(chunks).toString("utf8"));
  const { client, requests } = connect(job);
  const result = await SCENARIOS[job.scenario](client, job);
  process.stdout.write(`${JSON.stringify({ ...result, requests })}\n`);
}

main().catch((err) => {
  process.stderr.write(`${err.stack || err}\n`);
  process.exit(1);
});
