"""SIDs (twilio/sids.py): time-ordered, 32 hex digits, random tails drawn from a batch of the
operating system's randomness that is never handed out twice, nor shared with a forked child."""

from __future__ import annotations

import os

from switchboard.twilio.sids import RANDOM_BATCH, SID_RE, SidSource


def test_sids_are_ordered_by_time_then_counter_and_well_formed() -> None:
    now = [1_800_000_000_000]
    source = SidSource(lambda: now[0])
    first = [source.new("SM") for _ in range(50)]
    now[0] += 1
    later = source.new("SM")
    assert all(SID_RE.match(s) and s.startswith("SM") for s in [*first, later])
    assert first == sorted(first) and later > first[-1]
    assert {s[2:14] for s in first} == {f"{now[0] - 1:012x}"}


def test_random_tails_do_not_repeat_across_many_batches() -> None:
    source = SidSource(lambda: 1_800_000_000_000)
    count = 3 * RANDOM_BATCH // 8  # three batches and more
    tails = {source.new("RQ")[-16:] for _ in range(count)}
    assert len(tails) == count


def test_a_forked_child_does_not_reuse_the_parents_random_bytes() -> None:
    source = SidSource(lambda: 1_800_000_000_000)
    source.new("CA")  # a batch is read; most of it is unused
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: its next tail, to the parent
        os.close(read)
        os.write(write, source.new("CA")[-16:].encode())
        os._exit(0)
    os.close(write)
    child_tail = os.read(read, 64).decode()
    os.close(read)
    os.waitpid(pid, 0)
    assert len(child_tail) == 16
    assert source.new("CA")[-16:] != child_tail
