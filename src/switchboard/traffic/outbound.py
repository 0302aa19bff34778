"""Messages that leave an account: created through the REST API (`Messages.json`), TwiML replies,
Twilio's own opt-out replies; and messages that arrive from outside (a handset's, another
Switchboard account's). Each step is an outbox job (traffic/outbox.py), so nothing pending lives
in one process's memory.

The lifecycle of a sent message, one job per step, `--delivery-delay` apart:

    queued (the create's answer) -> sending -> sent -> delivered | undelivered (ErrorCode)
    queued -> failed (ErrorCode)

Each step after `queued` (Twilio sends no callback for a message's initial status) is posted,
signed with the account's token, to the message's status callback: the application's
`message_status_callback` when the message was sent with `ApplicationSid` (the request's
`StatusCallback` is then ignored, as on Twilio), else the request's `StatusCallback`. Each
request is stored once in the request log, in the transaction that records the step.

Where the message goes decides its outcome:
- a number of some Switchboard account (Twilio-to-Twilio): delivered, and at `sent` it arrives
  there as an inbound message (`message.arrive`) through that number's SMS webhooks, signed with
  that account's token; the TwiML's `<Message>` replies come back the same way (a chain of
  replies stops after `MAX_HOPS` arrivals, where two auto-responders would answer each other
  for ever);
- any other number is a handset: its settings for the account (`Handsets/{E164}`) say
  delivered, undelivered or failed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from switchboard.store.base import Job, NewJob, RowUpdate, Sending, Store, TraceWrite
from switchboard.store.tx import Keyset
from switchboard.traffic.documents import WebhookClient
from switchboard.traffic.messaging import Message, MessageRun
from switchboard.traffic.messaging import inbound_params as message_params
from switchboard.traffic.outbox import Done, Handler
from switchboard.traffic.plans import sms_plan
from switchboard.traffic.trace import Trace, writes
from switchboard.twilio import errors, rules
from switchboard.twilio.resources import MEDIA, MESSAGE, Account, Record

STEP = "message.step"
ARRIVE = "message.arrive"
MAX_HOPS = 10
FAILURES = ("undelivered", "failed")
DEFAULT_ERROR = {"undelivered": 30003, "failed": 30008}
# Twilio's titles for the delivery errors a handset can be given.
ERROR_MESSAGES = {
    30001: "Queue overflow",
    30002: "Account suspended",
    30003: "Unreachable destination handset",
    30004: "Message blocked",
    30005: "Unknown destination handset",
    30006: "Landline or unreachable carrier",
    30007: "Message filtered",
    30008: "Unknown error",
    30009: "Missing segment",
    30010: "Message price exceeds max price",
}
STATUS_PURPOSE = "message_status_callback"
LEGACY_PURPOSE = "sms_status_callback"


@dataclass(frozen=True)
class Outgoing:
    """A message to send from one of `account`'s numbers."""

    account: Account
    to: str
    from_: str
    body: str
    media: tuple[str, ...] = ()
    status_callback: str | None = None
    application_sid: str | None = None
    purpose: str = STATUS_PURPOSE  # the request log's name for its callbacks
    direction: str = "outbound-api"
    hops: int = 0  # arrivals so far in a Twilio-to-Twilio chain of replies
    force: bool = False  # Twilio's own opt-out replies reach an opted-out recipient


def _sid(media: Sequence[Any]) -> str:
    return "MM" if media else "SM"


def new_record(
    sid: str,
    account_sid: str,
    *,
    from_: str,
    to: str,
    body: str,
    num_media: int,
    direction: str,
    status: str,
    now: int,
    **extra: Any,
) -> Record:
    """A message record (every stored field), as the store keeps it."""
    return {
        **MESSAGE.defaults(),
        "sid": sid,
        "account_sid": account_sid,
        "from": from_,
        "to": to,
        "body": body,
        "num_media": str(num_media),
        "num_segments": str(rules.num_segments(body)),
        "direction": direction,
        "status": status,
        "history": [[status, now, None]],
        "order_key": sid[2:],
        "date_created": now,
        "date_updated": now,
        **extra,
    }


def media_records(
    account_sid: str, parent_sid: str, urls: Sequence[str], new_sid: Callable[[str], str], now: int
) -> list[Record]:
    return [
        {
            **MEDIA.defaults(),
            "sid": new_sid("ME"),
            "account_sid": account_sid,
            "parent_sid": parent_sid,
            "content_type": rules.media_content_type(url),
            "url": url,
            "date_created": now,
            "date_updated": now,
        }
        for url in urls
    ]


def status_params(message: Record, status: str, error_code: int | None) -> dict[str, str]:
    """Twilio's parameters for an outbound message's status callback."""
    params = {
        "AccountSid": message["account_sid"],
        "ApiVersion": message["api_version"] or "2010-04-01",
        "From": message["from"],
        "MessageSid": message["sid"],
        "MessageStatus": status,
        "SmsSid": message["sid"],
        "SmsStatus": status,
        "To": message["to"],
    }
    if error_code is not None:
        params["ErrorCode"] = str(error_code)
    return params


class Messages:
    """Sends messages and runs their jobs, over one store and one webhook client."""

    def __init__(self, store: Store, webhooks: WebhookClient, *, delay: float, keep: int) -> None:
        self.store = store
        self.webhooks = webhooks
        self.delay = int(delay * 1_000_000)
        self.keep = keep

    def handlers(self) -> dict[str, Handler]:
        return {STEP: self.step, ARRIVE: self.arrive}

    # Sending

    async def send(self, out: Outgoing) -> Record:
        """Store the message (queued) with its first job, durably; the record. What the checks
        and the outcome read is read in the transaction that stores it (`Store.send_message`):
        on the store's connection rather than this process's reader, and atomic with the insert
        (a number released meanwhile cannot send)."""
        now = self.store.clock()
        sid = self.store.sids.new(_sid(out.media))
        record = new_record(
            sid,
            out.account.sid,
            from_=out.from_,
            to=out.to,
            body=out.body,
            num_media=len(out.media),
            direction=out.direction,
            status="queued",
            now=now,
            status_callback=out.status_callback,
            application_sid=out.application_sid,
        )
        media = media_records(out.account.sid, sid, out.media, self.store.sids.new, now)

        def first_step(sending: Sending) -> list[NewJob]:
            check(out, sending)
            payload = {
                **_destination(sending),
                "callback": out.status_callback,
                "purpose": out.purpose,
                "hops": out.hops,
            }
            return [NewJob(out.account.sid, STEP, sid, now + self.delay, payload)]

        return await self.store.send_message(record, media, first_step)

    async def receive(
        self, account: Account, *, from_: str, to: str, body: str, media: Sequence[str]
    ) -> Record:
        """A message from outside (a handset) to one of `account`'s numbers: stored as received,
        its webhooks run by a job."""
        if await self.store.find_number(account.sid, to) is None:
            raise errors.number_not_found(to, account.sid)
        now = self.store.clock()
        sid = self.store.sids.new(_sid(media))
        record = new_record(
            sid,
            account.sid,
            from_=from_,
            to=to,
            body=body,
            num_media=len(media),
            direction="inbound",
            status="received",
            now=now,
        )
        records = media_records(account.sid, sid, media, self.store.sids.new, now)
        job = NewJob(account.sid, ARRIVE, sid, now, {"hops": 0})
        return await self.store.create_message(record, records, [job])

    # Jobs

    async def step(self, job: Job) -> Done:
        """One step of a sent message: its new status, the callback, the next step."""
        store = self.store
        read = await store.message_for_step(job.account_sid, job.subject)
        if read is None:  # deleted meanwhile: nothing left to tell
            return Done()
        message = read.message
        payload = job.payload
        status, *rest = payload["steps"]
        now = store.clock()
        code = payload["error_code"] if status in FAILURES else None
        changes: dict[str, Any] = {
            "status": status,
            "history": [*message["history"], [status, now, code]],
        }
        if status == "sent":
            changes["date_sent"] = now
        if code is not None:
            changes["error_code"] = code
            changes["error_message"] = ERROR_MESSAGES.get(code, "Unknown error")
        traces: list[TraceWrite] = []
        callback = payload.get("callback")
        if callback:
            trace = _trace(message, read.trace, status)
            if read.auth_token is not None:
                delivery = await self.webhooks.send(
                    payload.get("purpose") or STATUS_PURPOSE,
                    "POST",
                    callback,
                    status_params(message, status, code),
                    read.auth_token,
                )
                delivery.sid = store.sids.new("RQ")
                trace.add(delivery)
            traces += writes([trace])
        follow_ups: list[NewJob] = []
        if rest:
            nxt = {**payload, "steps": rest}
            follow_ups.append(NewJob(job.account_sid, STEP, job.subject, now + self.delay, nxt))
        inserts: list[tuple[str, Record]] = []
        if status == "sent" and payload.get("t2t"):
            arrival = await self._arrival(message, payload.get("hops", 0), now)
            if arrival is not None:
                inserts += arrival[0]
                follow_ups.append(arrival[1])
        update = RowUpdate("messages", job.account_sid, job.subject, changes)
        return Done(follow_ups, [update], inserts, traces)

    async def _arrival(
        self, message: Record, hops: int, now: int
    ) -> tuple[list[tuple[str, Record]], NewJob] | None:
        """A message reaching a Switchboard number: the receiving account's inbound message
        (and its media) to insert, and the job that runs its webhooks."""
        if hops >= MAX_HOPS:
            return None
        target = await self.store.locate_number(message["to"])
        if target is None:
            return None
        account_sid = target["account_sid"]
        media = await self.store.list_media(message["account_sid"], message["sid"], _every(message))
        sid = self.store.sids.new(_sid(media))
        record = new_record(
            sid,
            account_sid,
            from_=message["from"],
            to=message["to"],
            body=message["body"],
            num_media=len(media),
            direction="inbound",
            status="received",
            now=now,
        )
        urls = [m["url"] for m in media]
        inserts = [("messages", record)] + [
            ("media", m) for m in media_records(account_sid, sid, urls, self.store.sids.new, now)
        ]
        return inserts, NewJob(account_sid, ARRIVE, sid, now, {"hops": hops + 1})

    async def arrive(self, job: Job) -> Done:
        """An inbound message reaches its number: opt-out keywords, the number's SMS webhooks,
        and the replies, which leave as messages of the account."""
        store = self.store
        message = await store.get_message(job.account_sid, job.subject)
        account = await store.get_account(job.account_sid)
        if message is None or account is None:
            return Done()
        number = await store.find_number(account.sid, message["to"])
        if number is None:  # released meanwhile: nobody hears it
            return Done()
        app = None
        if number["sms_application_sid"]:
            app = await store.get_application(account.sid, number["sms_application_sid"])
        plan = sms_plan(number, app)
        handset, own = message["from"], message["to"]
        now = store.clock()
        replies: list[tuple[str | None, str, str, str, list[str]]] = []  # sid, from, to, ...
        word = rules.keyword(message["body"])
        if word == "opt-out":
            await store.set_opt_out(account.sid, own, handset, True)
            replies.append((None, own, handset, rules.OPT_OUT_REPLY, []))
        elif word == "opt-in":
            await store.set_opt_out(account.sid, own, handset, False)
            replies.append((None, own, handset, rules.OPT_IN_REPLY, []))
        elif word == "help":
            replies.append((None, own, handset, rules.HELP_REPLY, []))
        media_rows = await store.list_media(account.sid, message["sid"], _every(message))
        inbound = Message(
            message["sid"],
            account.sid,
            account.auth_token,
            handset,
            own,
            message["body"],
            tuple((m["url"], m["content_type"]) for m in media_rows),
            now,
        )
        run = MessageRun(
            self.webhooks, store.sids.new, inbound, plan, message_params(inbound, plan, {})
        )
        trace = await run.run()
        if word != "opt-out":  # an opted-out recipient gets none of the application's replies
            for sent in trace.messages:
                media = list(sent["media"])
                replies.append((sent["sid"], sent["from"], sent["to"], sent["body"], media))
        inserts: list[tuple[str, Record]] = []
        follow_ups: list[NewJob] = []
        for given, from_, to, body, media in replies:
            sid = given or store.sids.new(_sid(media))
            reply = new_record(
                sid,
                account.sid,
                from_=from_,
                to=to,
                body=body,
                num_media=len(media),
                direction="outbound-reply",
                status="delivered",
                now=now,
                date_sent=now,
            )
            inserts.append(("messages", reply))
            inserts += [
                ("media", m) for m in media_records(account.sid, sid, media, store.sids.new, now)
            ]
            arrival = await self._arrival(reply, job.payload.get("hops", 0), now)
            if arrival is not None:
                inserts += arrival[0]
                follow_ups.append(arrival[1])
        return Done(follow_ups, (), inserts, writes([trace]))


def _every(message: Record) -> Keyset:
    """A page holding every media item of the message (in creation order)."""
    return Keyset(None, None, int(message["num_media"] or 0) + 1)


def check(out: Outgoing, sending: Sending) -> None:
    """Twilio's refusals of a message to send, in its order: test numbers, From, To, opt-out."""
    code = rules.TEST_FROM_ERRORS.get(out.from_) or rules.TEST_TO_ERRORS.get(out.to)
    if code is not None:
        raise errors.message_refused(code, to=out.to, from_=out.from_)
    if out.from_ != rules.TEST_FROM_OK:
        if not rules.E164_RE.match(out.from_):
            raise errors.message_refused(21212, from_=out.from_)
        capabilities = sending.sender_capabilities
        wanted = "mms" if out.media else "sms"
        if capabilities is None or not capabilities.get(wanted, True):
            raise errors.message_refused(21606, from_=out.from_)
    if not rules.E164_RE.match(out.to):
        raise errors.message_refused(21211, to=out.to)
    if not out.force and sending.opted_out:
        raise errors.message_refused(21610, to=out.to)


def _destination(sending: Sending) -> dict[str, Any]:
    """The steps a sent message will go through, and where it arrives."""
    if sending.recipient_is_ours:
        return {"steps": ["sending", "sent", "delivered"], "error_code": None, "t2t": True}
    handset = sending.handset
    outcome = handset.message_outcome if handset else "delivered"
    code = None
    if outcome in FAILURES:
        code = (handset.message_error_code if handset else None) or DEFAULT_ERROR[outcome]
    steps = {
        "delivered": ["sending", "sent", "delivered"],
        "undelivered": ["sending", "sent", "undelivered"],
        "failed": ["failed"],
    }[outcome]
    return {"steps": steps, "error_code": code, "t2t": False}


def _trace(message: Record, stored: dict[str, Any] | None, status: str) -> Trace:
    """The message's trace (its callbacks) from its `stored` body, or a new one."""
    if stored is not None:
        trace = Trace.from_body(stored)
    else:
        trace = Trace(
            "message",
            message["sid"],
            message["account_sid"],
            message["from"],
            message["to"],
            message["application_sid"],
            message["date_created"],
            direction=message["direction"],
        )
    trace.status = status
    return trace
