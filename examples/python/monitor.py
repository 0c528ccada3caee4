#!/usr/bin/env python3
"""Follows the reports (seq order, each once) and the plane state, printed as
JSON lines: the plane state first, then each report (CURVE: the certificate
"monitor")."""
import argparse
import json
import sys
from google.protobuf.json_format import MessageToDict
from execplane_client import Monitor

parser = argparse.ArgumentParser(description=__doc__)
parser.add_argument("--config", help="the ZPL configuration (default: built-in defaults)")
parser.add_argument("--from-seq", type=int, default=0, help="first seq (1: all; default: new ones)")
parser.add_argument("--count", type=int, default=0, help="exit 0 after this many reports")
parser.add_argument("--timeout", type=float, help="exit after this many quiet seconds")
args = parser.parse_args()

with Monitor(args.config, from_seq=args.from_seq) as monitor:
    plane = MessageToDict(monitor.plane, preserving_proto_field_name=True)
    print(json.dumps({"plane_state": plane}), flush=True)
    seen = 0
    for report in monitor.reports(timeout=args.timeout):
        print(json.dumps(MessageToDict(report, preserving_proto_field_name=True)), flush=True)
        seen += 1
        if seen == args.count:
            break
sys.exit(0 if seen >= args.count else 1)
