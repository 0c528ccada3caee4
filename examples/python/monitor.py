#!/usr/bin/env python3
"""Follows the reports (seq order, each once) and the plane state, printed as
JSON lines: the plane state first, as {"plane_state": STATE}, then each report
as the line ep-tap prints for it (CURVE: the certificate "monitor")."""
import argparse
import sys
from execplane_client import ConfigError, ExecplaneError, Monitor, to_json

parser = argparse.ArgumentParser(description=__doc__)
parser.add_argument("--config", help="the ZPL configuration (default: found as the C programs "
                    "find theirs: $EXECPLANE_CONFIG, ./execplane.zpl, the user's, the system's)")
parser.add_argument("--from-seq", type=int, default=0, help="first seq (1: all; default: new ones)")
parser.add_argument("--count", type=int, default=0, help="exit 0 after this many reports")
parser.add_argument("--timeout", type=float, help="exit after this many quiet seconds")
args = parser.parse_args()

try:
    monitor = Monitor(args.config, from_seq=args.from_seq)
except ExecplaneError as error:     # the configuration (exit 2) or a certificate: one line
    print(f"monitor.py: {error}", file=sys.stderr)
    sys.exit(2 if isinstance(error, ConfigError) else 1)
with monitor:
    # STATE: the line ep-meta prints for the plane state (lib/ep_json.c)
    print('{"plane_state":' + to_json(monitor.plane) + "}", flush=True)
    seen = 0
    for report in monitor.reports(timeout=args.timeout):
        print(to_json(report), flush=True)
        seen += 1
        if seen == args.count:
            break
sys.exit(0 if seen >= args.count else 1)
