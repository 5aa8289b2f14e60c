#!/usr/bin/env python3
"""Seeds for the fuzz targets from the recorded vectors (called by scripts/fuzz.sh).

    fuzz_seeds.py exchange VECTOR        a tests/vectors case as a config record and its answers
    fuzz_seeds.py bodies VECTOR PREFIX   its multistatus bodies, one file each (PREFIX-n)
    fuzz_seeds.py queue VECTOR           a tests/queue-vectors case: its steps as the config
                                         record, the answers of its flushes as the records
    fuzz_seeds.py itip VECTOR            an itip_apply case: `op: itip`, the message, the event

The record format (a `%%` line between records; `key: value` lines, then one record per answer:
status line, header lines, an empty line, the body; `!` for a transport error) is the one
fuzz/fuzz_targets/common/exchange.rs reads.
"""
import json
import sys

SEPARATOR = "\n%%\n"
# write operations of the vectors, as the targets' `op` key names them
WRITES = {
    "create_object": "create", "update_object": "update", "delete_object": "delete",
    "post_object": "post", "respond": "respond", "pending_invitations": "pending",
    "gcal_respond": "gcal-respond", "gcal_free_busy": "gcal-free-busy",
    "gcal_insert": "gcal-insert", "gcal_patch": "gcal-patch", "gcal_delete": "gcal-delete",
}


def compact(value):
    return json.dumps(value, separators=(",", ":"))


def record(response):
    """One answer record; a missing response or a recorded transport error is `!`."""
    if not response or "transport_error" in response:
        return "!\n\n"
    lines = [str(response.get("status", 200))]
    headers = response.get("headers", {})
    for k, v in headers.items() if isinstance(headers, dict) else headers:
        lines.append("%s: %s" % (k, v))
    if response.get("final_url"):
        lines.append(":final: " + response["final_url"])
    body = response.get("body", "")
    if not isinstance(body, str):
        body = json.dumps(body)
    return "\n".join(lines) + "\n\n" + body


def exchange(case):
    cfg, op = case.get("config", {}), case.get("operation", {})
    head = []
    if cfg.get("server_url"):
        head.append("url: " + cfg["server_url"])
    if cfg.get("profile"):
        head.append("profile: " + cfg["profile"])
    creds = cfg.get("credentials")
    kind = "bearer" if isinstance(creds, dict) and "bearer" in creds else "basic" if creds else "none"
    head.append("credentials: " + kind)
    if op.get("service"):
        head.append("service: " + op["service"])
    if op.get("kind"):
        head.append("kind: " + op["kind"])
    if "state" in op:
        head.append("state: " + compact(op["state"]))
    if op.get("max_members") is not None:
        head.append("batch: %d" % op["max_members"])
    if op.get("op") in WRITES:
        head.append("op: " + WRITES[op["op"]])
    if op.get("calendar_id"):
        head.append("calendar: " + op["calendar_id"])
    query = op.get("query") or {}
    if query.get("single_events") is not None:
        head.append("single-events: " + str(query["single_events"]).lower())
    if query.get("max_results") is not None:
        head.append("max-results: %d" % query["max_results"])
    if cfg.get("sync_page_limit"):
        head.append("page-limit: %d" % cfg["sync_page_limit"])
    if cfg.get("multiget_batch_size"):
        head.append("multiget: %d" % cfg["multiget_batch_size"])
    if cfg.get("limits"):
        head.append("limits: " + compact(cfg["limits"]))
    records = ["\n".join(head) + "\n"]
    records += [record(ex.get("response")) for ex in case.get("exchanges", [])]
    return SEPARATOR.join(records)


def queue(case):
    cfg = case.get("config", {})
    head = ["url: " + cfg.get("server_url", "https://dav.example.com/")]
    if cfg.get("profile"):
        head.append("profile: " + cfg["profile"])
    if case.get("policy"):
        head.append("policy: " + case["policy"])
    steps = [{k: v for k, v in st.items() if k not in ("expect", "exchanges")}
             for st in case.get("steps", [])]
    head.append("steps: " + compact(steps))
    records = ["\n".join(head) + "\n"]
    for st in case.get("steps", []):
        records += [record(ex.get("response")) for ex in st.get("exchanges", [])]
    return SEPARATOR.join(records)


def main(argv):
    what, path = argv[1], argv[2]
    case = json.load(open(path))
    if what == "exchange":
        sys.stdout.write(exchange(case))
    elif what == "queue":
        sys.stdout.write(queue(case))
    elif what == "itip":
        op = case["operation"]
        sys.stdout.write(SEPARATOR.join(["op: itip\n", op["messages"][0], op["stored"]]))
    elif what == "bodies":
        for i, ex in enumerate(case.get("exchanges", [])):
            body = (ex.get("response") or {}).get("body")
            if isinstance(body, str) and "multistatus" in body:
                with open("%s-%d" % (argv[3], i), "w") as out:
                    out.write(body)
    else:
        sys.exit("fuzz_seeds.py: unknown command " + what)


if __name__ == "__main__":
    main(sys.argv)
