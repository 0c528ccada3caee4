#!/usr/bin/env python3
"""Pushes N MARKET intents for a strategy and prints each one's terminal report.
Usage: strategy.py STRATEGY [N [CONFIG]]   (CURVE: the certificate "strategy")"""
import sys
from execplane_client import Strategy, decimal_text, name, pb

strategy_id, n = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 3
with Strategy(sys.argv[3] if len(sys.argv) > 3 else None) as strategy:
    ids = [strategy.send(intent_id=f"{strategy_id}-py-{i}", strategy_id=strategy_id,
                         symbol="BTCUSDT", side="BUY" if i % 2 == 0 else "SELL",
                         type="MARKET", qty="0.5", ref_price="64000.25")
           for i in range(n)]
    for report in strategy.wait(ids, timeout=30):
        print(report.intent_id, name(pb.Status, report.status), name(pb.Failure, report.failure),
              decimal_text(report.filled_qty_e8), "at", decimal_text(report.avg_price_e8))
