"""Call records in the shape of real PBX files, mess included, and what they must count.

Built by hand, the way the PBXs write them (see /work/shared/formats): a Russian Asterisk
whose provider trunk is named by its account number (``SIP/211553-…``, context
``stadion-pstn``), a FreePBX office exporting its ``cdr`` table without a header, a PBX's
"CDR report" download with a header, and a queue with its ``queue_log``. Sellers: 301
(ann) and 302 (bob), PBX clock in Moscow, 3 February 2026.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from salespulse.lib.cdrgen import asterisk_line

MSK = ZoneInfo("Europe/Moscow")


def at(h: int, m: int, s: int = 0) -> datetime:
    return datetime(2026, 2, 3, h, m, s, tzinfo=MSK)


def leg(
    start: datetime,
    *,
    ring: int = 0,
    talk: int | None = None,
    disposition: str = "",
    **fields: object,
) -> dict[str, object]:
    """A cdr_csv record: answered after `ring` s with `talk` s, or not answered."""
    answer = start + timedelta(seconds=ring) if talk is not None else None
    end = (answer or start) + timedelta(seconds=talk if talk is not None else ring)
    return {
        "accountcode": "", "dcontext": "from-internal", "clid": "", "lastapp": "Dial",
        "lastdata": "", "amaflags": "DOCUMENTATION", "userfield": "", "peeraccount": "",
        "dstchannel": "", "start": start, "answer": answer or "", "end": end,
        "duration": int((end - start).total_seconds()), "billsec": talk or 0,
        "disposition": disposition or ("ANSWERED" if talk is not None else "NO ANSWER"),
    } | fields  # fmt: skip


# --- a Russian Asterisk: Master.csv, 18 columns, no linkedid ------------------------------

TRUNK = "SIP/211553"
CLIENT = "89245555937"


def stadion_records() -> list[dict[str, object]]:
    ring_uid, out_uid, fail_uid, fork_uid = (
        "1770102000.11", "1770102600.15", "1770103200.20", "1770105600.30",
    )  # fmt: skip
    repeated = leg(at(10, 10), ring=12, talk=60, src="301", dst=CLIENT,
                   clid='"Анна" <301>', channel="SIP/301-00000006",
                   dstchannel=f"{TRUNK}-00000007", lastdata=f"{TRUNK}/{CLIENT},60",
                   uniqueid=out_uid)  # fmt: skip
    return [
        # An outside caller over the digit-named trunk rings 301 and 302; 301 answers.
        leg(at(10, 0), ring=8, src=CLIENT, dst="74950001122", clid=f'"{CLIENT}" <{CLIENT}>',
            dcontext="stadion-pstn", channel=f"{TRUNK}-00000003",
            dstchannel="SIP/302-00000005", lastdata="SIP/301&SIP/302,30", uniqueid=ring_uid),
        leg(at(10, 0), ring=8, talk=120, src=CLIENT, dst="74950001122",
            clid=f'"{CLIENT}" <{CLIENT}>', dcontext="stadion-pstn",
            channel=f"{TRUNK}-00000003", dstchannel="SIP/301-00000004",
            lastdata="SIP/301&SIP/302,30", uniqueid=ring_uid),
        # 301 calls the client back over the same trunk.
        repeated,
        # 302's call fails over three trunks: two refuse at once, the third connects.
        leg(at(10, 20), ring=0, src="302", dst="89161234567", clid='"Борис" <302>',
            channel="SIP/302-00000008", lastdata="SIP/211553/89161234567,60",
            disposition="FAILED", uniqueid=fail_uid),
        leg(at(10, 20), ring=0, src="302", dst="89161234567", clid='"Борис" <302>',
            channel="SIP/302-00000008", lastdata="SIP/mts-out/89161234567,60",
            disposition="FAILED", uniqueid=fail_uid),
        leg(at(10, 20), ring=9, talk=90, src="302", dst="89161234567", clid='"Борис" <302>',
            channel="SIP/302-00000008", dstchannel="SIP/beeline-00000009",
            lastdata="SIP/beeline/89161234567,60", uniqueid=fail_uid),
        # A call 301 answered, its CDR forked by the dialplan (ForkCDR) half-way.
        leg(at(11, 0), ring=5, talk=30, src=CLIENT, dst="74950001122",
            dcontext="stadion-pstn", channel=f"{TRUNK}-0000000a",
            dstchannel="SIP/301-0000000b", lastdata="SIP/301,30", uniqueid=fork_uid),
        leg(at(11, 0, 35), ring=0, talk=50, src=CLIENT, dst="74950001122",
            dcontext="stadion-pstn", channel=f"{TRUNK}-0000000a",
            dstchannel="SIP/301-0000000b", lastdata="SIP/301,30", uniqueid=fork_uid),
        # The same row again (a log rotated and concatenated twice).
        repeated,
        # Not sales calls: a feature code, voicemail, a call between colleagues.
        leg(at(12, 0), ring=0, talk=5, src="301", dst="*60", channel="SIP/301-0000000c",
            lastapp="Playback", lastdata="speak-time", uniqueid="1770109200.40"),
        leg(at(12, 5), ring=0, talk=20, src="302", dst="*97", channel="SIP/302-0000000d",
            lastapp="VoiceMailMain", lastdata="302@default", uniqueid="1770109500.41"),
        leg(at(12, 30), ring=4, talk=40, src="301", dst="302", channel="SIP/301-0000000e",
            dstchannel="SIP/302-0000000f", lastdata="SIP/302,30", uniqueid="1770111000.42"),
    ]  # fmt: skip


def stadion_master_csv() -> str:
    return "".join(asterisk_line(r, 18) + "\n" for r in stadion_records())


STADION_EXPECTED = {
    "ann": {"calls": 3, "answered_calls": 3, "conversations": 3, "talk_time": 260},
    "bob": {"calls": 1, "answered_calls": 1, "conversations": 1, "talk_time": 90},
}
# rows 12 = imported 8 + exact repeat 1 + not sales calls 3 (two service, one internal)
STADION_COUNTS = {"rows": 12, "imported": 8, "already_stored": 0, "repeats": 1,
                  "not_sales": 3, "refused": 0}  # fmt: skip


# --- FreePBX: the cdr table exported without a header -------------------------------------

FREEPBX_ORDER = [
    "start", "clid", "src", "dst", "dcontext", "channel", "dstchannel", "lastapp", "lastdata",
    "duration", "billsec", "disposition", "amaflags", "accountcode", "uniqueid", "userfield",
    "did", "recordingfile", "cnum", "cnam", "outbound_cnum", "outbound_cnam", "dst_cnam",
]  # fmt: skip


def freepbx_line(record: dict[str, object], *, dates: str, extra: list[str]) -> str:
    """A line as DB tools write the table: bare values, NULL for empty, a date style."""
    cells = []
    for name in FREEPBX_ORDER:
        value = record.get(name, "")
        if name == "start":
            moment = record["start"]
            assert isinstance(moment, datetime)
            text = (
                f"{moment.day}/{moment.month}/{moment.year} {moment.hour}:{moment:%M:%S}"
                if dates == "dmy"
                else f"{moment:%Y-%m-%d %H:%M:%S}"
            )
        elif name == "clid":
            text = f'"{value}"'  # quoted, but the quotes around the name not doubled
        elif name == "amaflags":
            text = "3"
        elif value == "" or value is None:
            text = "NULL"
        else:
            text = str(value)
            if "," in text:
                text = f'"{text}"'
        cells.append(text)
    return ",".join([*cells, *extra])


def freepbx_records() -> list[dict[str, object]]:
    uid = "1770102000.11"
    return [
        leg(at(10, 0), ring=8, talk=120, src=CLIENT, dst="600", clid=f'"Петров, Иван" <{CLIENT}>',
            dcontext="from-trunk", channel=f"{TRUNK}-00000003",
            dstchannel="SIP/301-00000004", lastdata="SIP/301&SIP/302,30", uniqueid=uid,
            did="74950001122", cnum=CLIENT),
        leg(at(10, 0), ring=8, src=CLIENT, dst="600", clid=f'"Петров, Иван" <{CLIENT}>',
            dcontext="from-trunk", channel=f"{TRUNK}-00000003",
            dstchannel="SIP/302-00000005", lastdata="SIP/301&SIP/302,30", uniqueid=uid,
            did="74950001122", cnum=CLIENT),
        leg(at(10, 10), ring=12, talk=60, src="301", dst=CLIENT, clid='"Анна" <301>',
            channel="SIP/301-00000006", dstchannel=f"{TRUNK}-00000007",
            lastdata=f"{TRUNK}/{CLIENT},60", uniqueid="1770102600.15", cnum="301"),
    ]  # fmt: skip


def freepbx_cdr(columns: int = 24, dates: str = "dmy", line_end: str = "\r") -> str:
    """24 or 27 columns (23/26 and a column the export added), no final line end."""
    records = freepbx_records()
    lines = []
    for i, record in enumerate(records):
        if columns >= 26:
            record = record | {"linkedid": record["uniqueid"]}
        extra = [str(record.get("linkedid", "")), "", str(i + 1)] if columns >= 26 else []
        extra.append("" if i % 2 else "x")
        lines.append(freepbx_line(record, dates=dates, extra=extra[: columns - 23]))
    return line_end.join(lines)


FREEPBX_EXPECTED = {
    "ann": {"calls": 2, "answered_calls": 2, "conversations": 2, "talk_time": 180},
}


# --- a queue and its queue_log (Master.csv with linkedid, 21 columns) ---------------------

QUEUE_CALL, ABANDONED = "1770109200.50", "1770111000.60"


def queue_records() -> list[dict[str, object]]:
    local1 = "Local/301@from-queue-00000021"
    local2 = "Local/302@from-queue-00000022"
    local3 = "Local/301@from-queue-00000031"
    return [
        # The queue answers the caller at once; 302 does not pick up, 301 does after 40 s
        # and talks 120 s: the caller's leg has billsec 160, the wait included.
        leg(at(12, 0, 1), ring=15, src=CLIENT, dst="301", channel=f"{local2};2",
            dstchannel="SIP/302-00000023", dcontext="from-queue", uniqueid="1770109201.51",
            linkedid=QUEUE_CALL),
        leg(at(12, 0, 25), ring=15, talk=120, src=CLIENT, dst="301", channel=f"{local1};2",
            dstchannel="SIP/301-00000024", dcontext="from-queue", uniqueid="1770109225.52",
            linkedid=QUEUE_CALL),
        leg(at(12, 0), ring=0, talk=160, src=CLIENT, dst="700", channel=f"{TRUNK}-00000020",
            dstchannel=f"{local1};1", dcontext="from-trunk", lastapp="Queue",
            lastdata="700,t", uniqueid=QUEUE_CALL, linkedid=QUEUE_CALL),
        # The caller gives up after 30 s; the queue had answered them: ANSWERED, 30 s.
        leg(at(12, 30, 1), ring=20, src=CLIENT, dst="301", channel=f"{local3};2",
            dstchannel="SIP/301-00000032", dcontext="from-queue", uniqueid="1770111001.61",
            linkedid=ABANDONED),
        leg(at(12, 30), ring=0, talk=30, src=CLIENT, dst="700", channel=f"{TRUNK}-00000030",
            dstchannel=f"{local3};1", dcontext="from-trunk", lastapp="Queue",
            lastdata="700,t", uniqueid=ABANDONED, linkedid=ABANDONED),
    ]  # fmt: skip


def queue_master_csv() -> str:
    records = [r | {"sequence": 100 + i} for i, r in enumerate(queue_records())]
    return "".join(asterisk_line(r, 21) + "\n" for r in records)


def queue_log() -> str:
    t0, t1 = int(at(12, 0).timestamp()), int(at(12, 30).timestamp())
    return (
        "\n".join(
            [
                f"{t0 - 600}|NONE|NONE|NONE|QUEUESTART|",
                f"{t0}|{QUEUE_CALL}|700|NONE|ENTERQUEUE||{CLIENT}|1",
                f"{t0 + 16}|{QUEUE_CALL}|700|SIP/302|RINGNOANSWER|15000",
                f"{t0 + 40}|{QUEUE_CALL}|700|SIP/301|CONNECT|40|1770109225.52|15",
                f"{t0 + 160}|{QUEUE_CALL}|700|SIP/301|COMPLETECALLER|40|120|1",
                f"{t1}|{ABANDONED}|700|NONE|ENTERQUEUE||{CLIENT}|1",
                f"{t1 + 21}|{ABANDONED}|700|SIP/301|RINGNOANSWER|20000",
                f"{t1 + 30}|{ABANDONED}|700|NONE|ABANDON|1|1|30",
            ]
        )
        + "\n"
    )


# Without the queue_log, 301 would have two answered calls and 190 s of talk.
QUEUE_EXPECTED = {"calls": 1, "answered_calls": 1, "conversations": 1, "talk_time": 120}


# --- a PBX's "CDR report" download: a header, in its own column order ---------------------


def cdr_report(calls: int = 50) -> str:
    """Ring groups over the trunk: 301 and 302 ring, one answers; the legs of a call share
    the uniqueid, as in every such download. Dates DD/MM/YY HH:MM, `;`, Windows-1251."""
    header = "Канал назначения;disposition;uniqueid;dst;billsec;src;calldate;duration;channel"
    lines = [header]
    for i in range(calls):
        start = at(9, 0) + timedelta(minutes=5 * i)
        uid = f"{int(start.timestamp())}.{i}"
        answering = "301" if i % 2 == 0 else "302"
        for ext in ("301", "302"):
            took = ext == answering
            lines.append(
                ";".join(
                    [
                        f"SIP/{ext}-{i:08x}",
                        "ANSWERED" if took else "NO ANSWER",
                        uid,
                        "600",
                        str(100 + i if took else 0),
                        CLIENT,
                        f"{start:%d/%m/%y %H:%M}",
                        str(110 + i if took else 10),
                        f"{TRUNK}-{i:08x}",
                    ]
                )
            )
    return "\r\n".join(lines) + "\r\n"


def cdr_report_expected(calls: int = 50) -> dict[str, dict[str, int]]:
    ann = [100 + i for i in range(calls) if i % 2 == 0]
    bob = [100 + i for i in range(calls) if i % 2 == 1]
    return {
        "ann": {"calls": len(ann), "answered_calls": len(ann), "conversations": len(ann),
                "talk_time": sum(ann)},
        "bob": {"calls": len(bob), "answered_calls": len(bob), "conversations": len(bob),
                "talk_time": sum(bob)},
    }  # fmt: skip
