# One strategy's randomized intent stream for the chaos soak, as JSON lines
# for ep-send, paced by "#pause SECONDS" lines (the soak's feeder sleeps on
# those and passes everything else on). Deterministic for a seed.
#
#   awk -v seed=S -v prefix=a -v strategy=alpha -v seconds=150 [-v safety=1] -f stream.awk
#
# A strategy stream mixes valid intents (MARKET IOC/FOK, marketable LIMIT,
# resting LIMIT GTC near the references and far from them, LIMIT IOC/FOK that
# expire), intents the router must reject (INVALID_INTENT: bad quantity, bad
# symbol, missing fields, wrong tif or price; UNAUTHORIZED: a strategy id the
# key does not speak for, or a Safety Sell from a strategy key), reused
# intent_ids (DUPLICATE_INTENT), and now and then one with an empty intent_id
# (unreadable: counted by the router, never reported). With safety=1 it is the
# stream of the safety key: Safety Sells for alpha and beta, and a few safety
# BUYs (INVALID_INTENT).

function r(n) { return int(rand() * n) }

# A decimal with two places around base, e.g. 104.37.
function price(base, spread,    c) {
    c = base * 100 + r(spread * 100)
    return sprintf("%d.%02d", int(c / 100), c % 100)
}

function qty() { return sprintf("%d.%03d", r(3), 1 + r(999)) }

function sym() { return r(2) ? "BTCUSDT" : "ETHUSDT" }

function head(id, strat, symbol, side) {
    return sprintf("{\"intent_id\":\"%s\",\"strategy_id\":\"%s\",\"symbol\":\"%s\",\"side\":\"%s\"",
                   id, strat, symbol, side)
}

function market(id, strat, side, ref, tif) {
    return head(id, strat, sym(), side) sprintf(",\"type\":\"MARKET\"%s,\"qty\":\"%s\",\"ref_price\":\"%s\"",
                                                tif == "" ? "" : ",\"tif\":\"" tif "\"", qty(), ref)
}

function limit(id, strat, side, tif, lim, ref) {
    return head(id, strat, sym(), side) sprintf(",\"type\":\"LIMIT\",\"tif\":\"%s\",\"qty\":\"%s\",\"limit_price\":\"%s\",\"ref_price\":\"%s\"",
                                                tif, qty(), lim, ref)
}

function new_id() { n++; ids[n] = prefix "-" n; return ids[n] }

# One line of a strategy stream.
function strategy_line(    k, id, side, buy, ref, tifs, t) {
    k = r(100); buy = r(2); side = buy ? "BUY" : "SELL"
    ref = price(100, 10)
    if (k < 30) {                              # MARKET, IOC by default
        t = r(3); tifs = t == 0 ? "" : t == 1 ? "IOC" : "FOK"
        return market(new_id(), strategy, side, ref, tifs)
    }
    if (k < 45) {                              # marketable LIMIT
        t = r(3); tifs = t == 0 ? "GTC" : t == 1 ? "IOC" : "FOK"
        return limit(new_id(), strategy, side, tifs, buy ? price(111, 5) : price(90, 5), ref)
    }
    if (k < 60)                                # resting GTC near the references
        return limit(new_id(), strategy, side, "GTC", buy ? price(98, 6) : price(106, 6), ref)
    if (k < 64)                                # resting GTC far away: the final sweep fills it
        return limit(new_id(), strategy, side, "GTC", buy ? price(50, 5) : price(200, 5), ref)
    if (k < 72) {                              # non-marketable IOC/FOK: EXPIRED on paper
        tifs = r(2) ? "IOC" : "FOK"
        return limit(new_id(), strategy, side, tifs, buy ? price(60, 5) : price(150, 5), ref)
    }
    if (k < 84)                                # rejected by the router
        return invalid_line(side, ref)
    if (k < 92 && n > 0)                       # an intent_id used before: DUPLICATE_INTENT
        return market(ids[1 + r(n)], strategy, side, ref, "")
    if (k < 93)                                # unreadable: no report, only counted
        return head("", strategy, sym(), side) ",\"type\":\"MARKET\",\"qty\":\"1\",\"ref_price\":\"100\""
    return market(new_id(), strategy, side, ref, "IOC")
}

function invalid_line(side, ref,    k, id) {
    k = r(12); id = new_id()
    if (k == 0)  return head(id, strategy, sym(), side) ",\"type\":\"MARKET\",\"qty\":\"0\",\"ref_price\":\"" ref "\""
    if (k == 1)  return head(id, strategy, "BTC/USDT", side) ",\"type\":\"MARKET\",\"qty\":\"1\",\"ref_price\":\"" ref "\""
    if (k == 2)  return head(id, strategy, "BTC USDT", side) ",\"type\":\"MARKET\",\"qty\":\"1\",\"ref_price\":\"" ref "\""
    if (k == 3)  return head(id, strategy, "", side) ",\"type\":\"MARKET\",\"qty\":\"1\",\"ref_price\":\"" ref "\""
    if (k == 4)  return sprintf("{\"intent_id\":\"%s\",\"strategy_id\":\"%s\",\"symbol\":\"BTCUSDT\",\"type\":\"MARKET\",\"qty\":\"1\",\"ref_price\":\"%s\"", id, strategy, ref)
    if (k == 5)  return head(id, strategy, sym(), side) ",\"type\":\"LIMIT\",\"qty\":\"1\",\"limit_price\":\"100\",\"ref_price\":\"" ref "\""
    if (k == 6)  return head(id, strategy, sym(), side) ",\"type\":\"LIMIT\",\"tif\":\"GTC\",\"qty\":\"1\",\"ref_price\":\"" ref "\""
    if (k == 7)  return head(id, strategy, sym(), side) ",\"type\":\"MARKET\",\"tif\":\"GTC\",\"qty\":\"1\",\"ref_price\":\"" ref "\""
    if (k == 8)  return head(id, strategy, sym(), side) ",\"type\":\"MARKET\",\"qty\":\"1\",\"limit_price\":\"100\",\"ref_price\":\"" ref "\""
    if (k == 9)  return head(id, strategy, sym(), side) ",\"type\":\"MARKET\",\"qty\":\"1\""
    if (k == 10) return head(id, "gamma", sym(), side) ",\"type\":\"MARKET\",\"qty\":\"1\",\"ref_price\":\"" ref "\""
    return head(id, strategy, sym(), "SELL") ",\"type\":\"MARKET\",\"qty\":\"1\",\"ref_price\":\"" ref "\",\"safety\":true"
}

# One line of the safety stream.
function safety_line(    k, strat, ref) {
    k = r(10); strat = r(2) ? "alpha" : "beta"; ref = price(100, 10)
    if (k == 0)
        return head(new_id(), strat, sym(), "BUY") ",\"type\":\"MARKET\",\"qty\":\"1\",\"ref_price\":\"" ref "\",\"safety\":true"
    if (k < 7)
        return head(new_id(), strat, sym(), "SELL") ",\"type\":\"MARKET\",\"qty\":\"" qty() "\",\"ref_price\":\"" ref "\",\"safety\":true"
    return head(new_id(), strat, sym(), "SELL") ",\"type\":\"LIMIT\",\"tif\":\"IOC\",\"qty\":\"" qty() "\",\"limit_price\":\"" price(90, 20) "\",\"ref_price\":\"" ref "\",\"safety\":true"
}

BEGIN {
    srand(seed)
    n = 0; t = 0
    while (t < seconds) {
        if (safety) {
            print safety_line() "}"
            p = 0.5 + rand() * 2.5
        } else {
            k = 1 + r(8)
            for (j = 0; j < k; j++) print strategy_line() "}"
            p = 0.05 + rand() * 0.35
        }
        printf "#pause %.3f\n", p
        t += p
    }
}
