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
# (unreadable: counted by the router, never reported). About a quarter of
# its lines are CANCELs and REPLACEs of the strategy's earlier intents: most
# of them of a resting GTC LIMIT (or of an earlier replacement) that nothing
# canceled yet, so that they take effect, a REPLACE keeping the symbol and
# side and sometimes the price (with a lower quantity: the venue's amend);
# some of an intent that ended at once (MARKET, IOC, FOK) or that was
# canceled or replaced before (TOO_LATE, or a second request when the first
# one's outcome was unknown); a few invalid ones (no such target, a CANCEL as
# target, a REPLACE that changes the side: INVALID_INTENT; another strategy:
# UNAUTHORIZED). With safety=1 it is the stream of the safety key: Safety
# Sells for alpha and beta, and a few safety BUYs (INVALID_INTENT).

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
    if (id in fresh) { delete fresh[id]; remember_ended(id) }
    return head(id, strat, sym(), side) sprintf(",\"type\":\"MARKET\"%s,\"qty\":\"%s\",\"ref_price\":\"%s\"",
                                                tif == "" ? "" : ",\"tif\":\"" tif "\"", qty(), ref)
}

# A LIMIT; a GTC one is remembered as a target for later CANCELs and REPLACEs
# (its id, symbol, side, price and quantity), any other as one that ends at once.
function limit(id, strat, side, tif, lim, ref,    s, q) {
    s = sym(); q = qty()
    if (id in fresh) {
        delete fresh[id]
        if (tif == "GTC") remember_resting(id, s, side, lim, q)
        else remember_ended(id)
    }
    return head(id, strat, s, side) sprintf(",\"type\":\"LIMIT\",\"tif\":\"%s\",\"qty\":\"%s\",\"limit_price\":\"%s\",\"ref_price\":\"%s\"",
                                            tif, q, lim, ref)
}

# --- targets of cancels and replaces ---------------------------------------
# rest_*[1..nrest]: GTC orders no CANCEL or REPLACE named yet; gone[1..ngone]:
# intents that ended at once (MARKET, IOC, FOK); done[1..ndone]: targets
# already named by a CANCEL or REPLACE; changes[1..nchanges]: the CANCELs.
function remember_resting(id, s, side, lim, q) {
    nrest++; rest_id[nrest] = id; rest_sym[nrest] = s; rest_side[nrest] = side
    rest_px[nrest] = lim; rest_qty[nrest] = q
}
function remember_ended(id) { ngone++; gone[ngone] = id }

# Takes one resting target out of the pool (into done): the latest one half
# of the time (often placed a moment before, so that it still rests where
# orders do not rest long), else one of the 30 most recent; sets T_ID,
# T_SYM, T_SIDE, T_PX, T_QTY.
function take_resting(    i) {
    if (r(2)) i = nrest
    else i = nrest > 30 ? nrest - 30 + 1 + r(30) : 1 + r(nrest)
    T_ID = rest_id[i]; T_SYM = rest_sym[i]; T_SIDE = rest_side[i]; T_PX = rest_px[i]; T_QTY = rest_qty[i]
    rest_id[i] = rest_id[nrest]; rest_sym[i] = rest_sym[nrest]; rest_side[i] = rest_side[nrest]
    rest_px[i] = rest_px[nrest]; rest_qty[i] = rest_qty[nrest]
    nrest--
    ndone++; done[ndone] = T_ID
}

function cancel(id, strat, target) {
    return sprintf("{\"intent_id\":\"%s\",\"strategy_id\":\"%s\",\"action\":\"CANCEL\",\"target_intent_id\":\"%s\"",
                   id, strat, target)
}

function replace(id, strat, target, s, side, q, lim, ref) {
    return head(id, strat, s, side) sprintf(",\"action\":\"REPLACE\",\"target_intent_id\":\"%s\",\"type\":\"LIMIT\",\"tif\":\"GTC\",\"qty\":\"%s\",\"limit_price\":\"%s\",\"ref_price\":\"%s\"",
                                            target, q, lim, ref)
}

# A quantity below Q (a decimal with three places), or Q when it is the least.
function lower_qty(q,    m) {
    m = int(q * 1000 + 0.5)
    if (m <= 1) return q
    m = 1 + r(m - 1)
    return sprintf("%d.%03d", int(m / 1000), m % 1000)
}

# One CANCEL or REPLACE line (call only when nrest + ngone + ndone > 0).
function change_line(    k, id, side, buy, ref, q, lim, t) {
    k = r(100); ref = price(100, 10)
    if (k < 40 && nrest > 0) {                 # cancel a resting order
        take_resting(); id = new_id()
        nchanges++; changes[nchanges] = id
        return cancel(id, strategy, T_ID)
    }
    if (k < 65 && nrest > 0) {                 # replace a resting order
        take_resting(); id = new_id(); delete fresh[id]
        buy = T_SIDE == "BUY"
        if (r(2)) {                            # the same price, less: an amend on live
            q = lower_qty(T_QTY); lim = T_PX
        } else {                               # another price, resting near or far
            q = qty()
            if (r(3)) lim = buy ? price(98, 6) : price(106, 6)
            else lim = buy ? price(50, 5) : price(200, 5)
        }
        remember_resting(id, T_SYM, T_SIDE, lim, q)
        return replace(id, strategy, T_ID, T_SYM, T_SIDE, q, lim, ref)
    }
    if (k < 77 && ngone > 0)                   # cancel what ended at once: TOO_LATE
        return cancel(new_id(), strategy, gone[ngone > 20 ? ngone - 20 + 1 + r(20) : 1 + r(ngone)])
    if (k < 90 && ndone > 0) {                 # a target named before
        t = done[ndone > 20 ? ndone - 20 + 1 + r(20) : 1 + r(ndone)]
        if (r(4)) return cancel(new_id(), strategy, t)
        return replace(new_id(), strategy, t, sym(), r(2) ? "BUY" : "SELL", qty(), price(200, 5), ref)
    }
    t = r(5)
    if (t == 0)                                # no such intent: INVALID_INTENT
        return cancel(new_id(), strategy, prefix "-none-" r(100000))
    if (t == 1 && nchanges > 0)                # a CANCEL is no order: INVALID_INTENT
        return cancel(new_id(), strategy, changes[1 + r(nchanges)])
    if (t == 2 && nrest > 0) {                 # a REPLACE that changes the side: INVALID_INTENT
        t = nrest > 30 ? nrest - 30 + 1 + r(30) : 1 + r(nrest)
        return replace(new_id(), strategy, rest_id[t], rest_sym[t], rest_side[t] == "BUY" ? "SELL" : "BUY",
                       rest_qty[t], rest_px[t], ref)
    }
    if (t == 3 && nrest > 0)                   # another strategy's: UNAUTHORIZED
        return cancel(new_id(), "gamma", rest_id[1 + r(nrest)])
    return cancel(new_id(), strategy, prefix "-" (n + 1000000))
}

function new_id() { n++; ids[n] = prefix "-" n; fresh[ids[n]] = 1; return ids[n] }

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
            for (j = 0; j < k; j++)
                if (r(100) < 25 && nrest + ngone + ndone > 0) print change_line() "}"
                else print strategy_line() "}"
            p = 0.05 + rand() * 0.35
        }
        printf "#pause %.3f\n", p
        t += p
    }
}
