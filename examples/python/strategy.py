#!/usr/bin/env python3
"""Pushes N MARKET intents for a strategy and prints each one's terminal report.
Usage: strategy.py STRATEGY [N [CONFIG]]  (no CONFIG: found as ep-send finds it; CURVE: "strategy")"""
import sys
from execplane_client import ConfigError, ExecplaneError, Strategy, decimal_text, name, pb

strategy_id, n = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 3
try:
    strategy = Strategy(sys.argv[3] if len(sys.argv) > 3 else None)
except ExecplaneError as error:     # the configuration (exit 2) or a certificate: one line
    print(f"strategy.py: {error}", file=sys.stderr)
    sys.exit(2 if isinstance(error, ConfigError) else 1)
with strategy:
    ids = [strategy.send(intent_id=f"{strategy_id}-py-{i}", strategy_id=strategy_id,
                         symbol="BTCUSDT", side="BUY" if i % 2 == 0 else "SELL",
                         type="MARKET", qty="0.5", ref_price="64000.25")
           for i in range(n)]
    for report in strategy.wait(ids, timeout=30):
        print(report.intent_id, name(pb.Status, report.status), name(pb.Failure, report.failure),
              decimal_text(report.filled_qty_e8), "at", decimal_text(report.avg_price_e8))
