"""execplane from Python: a strategy and a monitor over ZeroMQ with CURVE.

The same configuration file (ZPL) and certificates (ep-keygen) as the C
programs; the messages are the classes protoc generates from
schemas/execplane.proto at build time (build/python/execplane_pb2.py, or
share/execplane/python once installed). Needs Debian's python3-zmq and
python3-protobuf.

    strategy = Strategy("ready.zpl")              # certificate "strategy"
    strategy.send(intent_id="py-1", strategy_id="demo", symbol="BTCUSDT",
                  side="BUY", type="MARKET", qty="0.5", ref_price="64000")
    for report in strategy.wait(["py-1"], timeout=10): ...
    strategy.cancel("py-2", "py-1")               # a CANCEL of py-1's order, its own intent
    strategy.replace("py-3", "py-1", symbol="BTCUSDT", side="BUY", tif="GTC",
                     qty="0.4", limit_price="63000", ref_price="64000")

    monitor = Monitor("ready.zpl", from_seq=1)    # certificate "monitor"
    for report in monitor.reports(): ...           # seq order, gap-free, each once

Quantities and prices travel as int64 in units of 1e-8 (the *_e8 fields);
send() takes them as exact decimal strings, e8() and decimal_text() convert,
with the C grammar (core/ep_decimal.h): digits, then optionally '.' and one
to eight digits; no '+', no exponent, no spaces, no NaN or Infinity, within
int64 once scaled; a '-' only where allowed (never in send()). to_json()
writes a message as the JSON line ep-tap prints (lib/ep_json.c).
tests/vectors/ holds the cases both sides are checked against.
"""
import os
import re
import time

import zmq
import zmq.auth

import execplane_pb2 as pb

QUERY_LIMIT = 1000
POLL_S = 0.02                   # how often a strategy asks for news while it waits


class ExecplaneError(Exception):
    """A configuration, certificate or protocol problem, said in one line."""


def load_config(path):
    """The ZPL file as {"section/key": "value"} (values unquoted)."""
    config, section = {}, None
    try:
        lines = open(path, encoding="utf-8").read().splitlines()
    except OSError as error:
        raise ExecplaneError(f"config {path}: {error.strerror}") from error
    for line in lines:
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if not line[0].isspace():
            section = line.split("#", 1)[0].strip()
        elif "=" in line and section:
            key, value = (part.strip() for part in line.split("=", 1))
            if value.startswith('"') and '"' in value[1:]:
                value = value[1:value.index('"', 1)]
            else:
                value = value.split("#", 1)[0].strip()
            config[f"{section}/{key}"] = value
    return config


DEFAULTS = {
    "router/intake": "tcp://127.0.0.1:5550", "router/outcomes": "tcp://127.0.0.1:5551",
    "router/query": "tcp://127.0.0.1:5555", "security/curve": "1", "security/certs": "var/certs",
}


class DecimalError(ExecplaneError):
    """A decimal text the grammar refuses: error is the C name of the reason
    ("EP_DECIMAL_SYNTAX"), reason its text ("not a decimal number")."""

    def __init__(self, error, text):
        self.error, self.text, self.reason = error, text, DECIMAL_ERRORS[error]
        super().__init__(f"{self.reason} ({quote(text)})")


# ep_decimal_error_t by name, with what ep_decimal_strerror says of each
DECIMAL_ERRORS = {
    "EP_DECIMAL_EMPTY": "empty",
    "EP_DECIMAL_SYNTAX": "not a decimal number",
    "EP_DECIMAL_NEGATIVE": "sign not allowed",
    "EP_DECIMAL_TOO_PRECISE": "more than 8 decimals",
    "EP_DECIMAL_OVERFLOW": "too large",
}
E8 = 100000000
INT64_MAX = 2**63 - 1
# [0-9], not \d, which takes any Unicode digit; fullmatch, as $ lets "1\n" by
_DECIMAL = re.compile(r"(-?)([0-9]+)(?:\.([0-9]+))?")


def e8(text, allow_negative=False):
    """Exact decimal text ("0.5") as int64 units of 1e-8, as ep_decimal_parse
    reads it; raises DecimalError for what it refuses, for the same reason."""
    if not isinstance(text, str):
        raise ExecplaneError(f"a decimal must be a string such as \"0.5\", not {_json_type(text)}")
    # The checks in ep_decimal_parse's order, so the same reason wins
    if not text:
        raise DecimalError("EP_DECIMAL_EMPTY", text)
    if text[0] == "+" or (text[0] == "-" and not allow_negative):
        raise DecimalError("EP_DECIMAL_NEGATIVE", text)
    match = _DECIMAL.fullmatch(text)
    if not match:
        raise DecimalError("EP_DECIMAL_SYNTAX", text)
    sign, whole, fraction = match.group(1), match.group(2).lstrip("0"), match.group(3) or ""
    if len(fraction) > 8:
        raise DecimalError("EP_DECIMAL_TOO_PRECISE", text)
    # More than 11 whole digits is out of range (and int() may refuse them)
    magnitude = int(whole or "0") * E8 + int(fraction.ljust(8, "0")) if len(whole) <= 11 else None
    if magnitude is None or magnitude > INT64_MAX + (1 if sign else 0):
        raise DecimalError("EP_DECIMAL_OVERFLOW", text)
    return -magnitude if sign else magnitude


def decimal_field(key, value):
    """e8(value) for the field key of an intent, refused as ep_json_intent_parse
    refuses {key: value}, with its message ("qty: not a decimal number (...)")."""
    if not isinstance(value, str):
        raise ExecplaneError(f"{key}: must be a string such as \"0.5\", not {_json_type(value)}")
    try:
        return e8(value)
    except DecimalError as error:
        if error.error == "EP_DECIMAL_NEGATIVE" and value.startswith("-"):
            raise ExecplaneError(f"{key}: must not be negative ({quote(value)})") from None
        if error.error == "EP_DECIMAL_EMPTY":
            raise ExecplaneError(f"{key}: empty (expected a decimal such as \"0.5\")") from None
        raise ExecplaneError(f"{key}: {error}") from None


def decimal_text(value_e8):
    """int64 units of 1e-8 as exact decimal text, as ep_decimal_format writes
    it: no trailing zeros, no '.' for a whole number ("0.5", "12", "-0.00000001")."""
    if isinstance(value_e8, bool) or not isinstance(value_e8, int) \
            or not -INT64_MAX - 1 <= value_e8 <= INT64_MAX:
        raise ExecplaneError(f"{value_e8!r}: not an int64 count of 1e-8")
    whole, fraction = divmod(abs(value_e8), E8)
    text = ("-" if value_e8 < 0 else "") + str(whole)
    return text + f".{fraction:08d}".rstrip("0") if fraction else text


def quote(text, limit=40):
    """text as an error message quotes it (lib/ep_json.c, s_quote): in double
    quotes, '"' and '\\' escaped, control characters as \\u00xx, cut at limit
    bytes of UTF-8 (never inside a character) with "..." after."""
    data = text.encode("utf-8", "surrogatepass")
    cut = len(data) > limit
    if cut:
        end = limit
        while end > 0 and data[end] & 0xC0 == 0x80:
            end -= 1
        text = data[:end].decode("utf-8", "surrogatepass")
    out = []
    for char in text:
        if char in '"\\':
            out.append("\\" + char)
        elif char < " " or char == "\x7f":
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"' + ("..." if cut else "")


def _json_type(value):
    """A value's JSON type as ep_json's errors name it ("a number")."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, (list, tuple)):
        return "an array"
    return "an object" if isinstance(value, dict) else type(value).__name__


def _json_string(text):
    """A JSON string as jansson writes one: UTF-8 as is; '"', '\\' and
    control characters escaped (\\b \\f \\n \\r \\t, else \\u00XX)."""
    out = []
    for char in text:
        if char in '"\\':
            out.append("\\" + char)
        elif char < " ":
            out.append(_JSON_SHORT.get(char) or f"\\u{ord(char):04X}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


_JSON_SHORT = {"\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _json_value(field, value):
    fd = field.__class__
    if field.label == fd.LABEL_REPEATED:
        if field.type != fd.TYPE_MESSAGE:
            raise ExecplaneError(f"{field.full_name}: no JSON form for a repeated scalar")
        return "[" + ",".join(to_json(item) for item in value) + "]"
    if field.type == fd.TYPE_STRING:
        return _json_string(value)
    if field.type == fd.TYPE_ENUM:
        known = field.enum_type.values_by_number.get(value)
        return _json_string(known.name) if known else str(value)
    if field.type == fd.TYPE_BOOL:
        return "true" if value else "false"
    if field.type == fd.TYPE_MESSAGE:
        return to_json(value)
    if field.name.endswith("_e8"):
        return _json_string(decimal_text(value))
    # A uint64 past what a JSON integer holds in C: its digits, as a string
    return str(value) if value <= INT64_MAX else _json_string(str(value))


def to_json(message):
    """A message (OrderIntent, ExecutionReport, PlaneState, Stats,
    PlaneDefinition) as the one JSON line lib/ep_json.c makes of it, byte for
    byte: what ep-tap prints. Every field, in .proto order, by its .proto name;
    an *_e8 field without the suffix as an exact decimal string; an enum by
    name (a number if it has none); a uint64 past 2^63 - 1 as a string."""
    parts = []
    for field in message.DESCRIPTOR.fields:
        key = field.name[:-3] if field.name.endswith("_e8") else field.name
        parts.append(_json_string(key) + ":" + _json_value(field, getattr(message, field.name)))
    return "{" + ",".join(parts) + "}"


def name(enum, value):
    """An enum value's contract name: name(pb.Status, 3) == "FILLED"."""
    return enum.Name(value) if value in enum.values() else str(value)


class _Connection:
    def __init__(self, config_path, cert, insecure):
        self.config = dict(DEFAULTS)
        if config_path:
            self.config.update(load_config(config_path))
        self.context = zmq.Context.instance()
        self.curve = not insecure
        if self.curve and self.config["security/curve"] == "0":
            raise ExecplaneError("security/curve = 0 needs insecure=True")
        if self.curve:
            certs = self.config["security/certs"]
            try:
                self.public, self.secret = zmq.auth.load_certificate(
                    os.path.join(certs, f"{cert}_secret"))
                self.router, _ = zmq.auth.load_certificate(os.path.join(certs, "public", "router"))
            except (OSError, ValueError) as error:
                raise ExecplaneError(f"certificate {cert} in {certs}: {error}") from error
            if not self.secret:
                raise ExecplaneError(f"certificate {cert} in {certs} holds no secret key")
        self.sockets = []
        self.plane = None                       # the newest PlaneState
        self.sub = self._socket(zmq.SUB, "router/outcomes")
        self.query = self._socket(zmq.DEALER, "router/query")

    def _socket(self, kind, key):
        socket = self.context.socket(kind)
        socket.linger = 1000
        if self.curve:
            socket.curve_publickey, socket.curve_secretkey = self.public, self.secret
            socket.curve_serverkey = self.router
        socket.connect(self.config[key])
        self.sockets.append(socket)
        return socket

    def _await_plane(self, timeout):
        """Waits for the first plane state: the subscription is then live."""
        deadline = time.monotonic() + timeout
        while self.plane is None:
            left = deadline - time.monotonic()
            if left <= 0:
                raise ExecplaneError(f"no answer from the router at "
                                     f"{self.config['router/outcomes']} within {timeout} s")
            self._read_sub(left)

    def _read_sub(self, timeout):
        """Reads what the subscription holds, waiting up to timeout for the
        first message; returns the reports among them."""
        reports = []
        if not self.sub.poll(int(timeout * 1000)):
            return reports
        while True:
            try:
                topic, body = self.sub.recv_multipart(zmq.NOBLOCK)[:2]
            except zmq.Again:
                return reports
            if topic == b"plane":
                self.plane = pb.PlaneState.FromString(body)
            elif topic.startswith(b"outcome."):
                reports.append(pb.ExecutionReport.FromString(body))

    def _ask(self, from_seq, to_seq=0, timeout=5.0):
        """The journaled reports from from_seq (to to_seq; 0: the newest)
        that this key may see: (reports, through_seq, head_seq)."""
        request = pb.QueryRequest(from_seq=from_seq, to_seq=to_seq, limit=QUERY_LIMIT)
        self.query.send_multipart([b"reports", request.SerializeToString()])
        if not self.query.poll(int(timeout * 1000)):
            raise ExecplaneError(f"no answer from the router's query socket within {timeout} s")
        kind, body = self.query.recv_multipart()[:2]
        if kind != b"reports":
            raise ExecplaneError(f"the router answered {kind!r} to a query")
        reply = pb.QueryReply.FromString(body)
        return ([pb.ExecutionReport.FromString(r) for r in reply.reports],
                reply.through_seq, reply.head_seq)

    def close(self):
        for socket in self.sockets:
            socket.close()
        self.sockets = []

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class Strategy(_Connection):
    """Pushes OrderIntents and waits for their terminal reports. A strategy
    key reads its own strategies' reports through the query socket."""

    def __init__(self, config_path=None, cert="strategy", insecure=False, timeout=10.0):
        super().__init__(config_path, cert, insecure)
        self.sub.setsockopt(zmq.SUBSCRIBE, b"plane")
        self.intake = self._socket(zmq.PUSH, "router/intake")
        self._await_plane(timeout)
        self.next_seq = self.plane.last_seq + 1     # what is sent from now on
        self.sent = {}                              # intent_id -> strategy ids it was sent for
        # How the router names this sender when it tells it alone of an
        # intent it would not attribute to the strategy named (sender_key).
        self.own_key = self.public.decode() if self.curve else "insecure"

    def send(self, **fields):
        """Pushes one intent. Decimal fields (qty, limit_price, ref_price)
        are exact strings; enums are names ("BUY", "MARKET", "GTC")."""
        intent = pb.OrderIntent()
        for key, value in fields.items():
            if key in ("qty", "limit_price", "ref_price"):
                key, value = key + "_e8", decimal_field(key, value)
            field = intent.DESCRIPTOR.fields_by_name.get(key)
            if field is None:
                raise ExecplaneError(f"OrderIntent has no field {key!r}")
            if field.enum_type is not None and isinstance(value, str):
                if value not in field.enum_type.values_by_name:
                    raise ExecplaneError(f"{key}: {value!r} is not one of "
                                         f"{', '.join(field.enum_type.values_by_name)}")
                value = field.enum_type.values_by_name[value].number
            setattr(intent, key, value)
        self.intake.send(intent.SerializeToString())
        self.sent.setdefault(intent.intent_id, set()).add(intent.strategy_id)
        return intent.intent_id

    def _strategy_of(self, target_intent_id, strategy_id):
        """The strategy a cancel or replace speaks for: the target's, given,
        or the one this client sent the target for."""
        if strategy_id:
            return strategy_id
        strategies = self.sent.get(target_intent_id, set())
        if len(strategies) != 1:
            raise ExecplaneError(f"{target_intent_id}: give strategy_id (this client sent that "
                                 f"intent for {len(strategies) or 'no'} strategies)")
        return next(iter(strategies))

    def cancel(self, intent_id, target_intent_id, strategy_id=None, decided_at=0):
        """Pushes a CANCEL: an intent of its own, intent_id (unique like any
        other), asking that the order of target_intent_id be canceled. It
        carries no order field; strategy_id is the target's (left out: the
        one this client sent the target for). It goes to the plane that
        holds the target, and a HALT lets it through. Returns intent_id;
        wait() gives its own terminal report: CANCELED / FAILURE_NONE (the
        target's own stream then ends CANCELED, its fills kept), REJECTED /
        TOO_LATE (the target had already ended), REJECTED / INVALID_INTENT
        (the strategy has no such intent), UNAUTHORIZED (another strategy's
        order), UNKNOWN / SEND_UNKNOWN (the venue's answer is unknown: the
        target's own stream tells what became of it). Never re-sent."""
        fields = {"intent_id": intent_id, "action": "CANCEL", "target_intent_id": target_intent_id,
                  "strategy_id": self._strategy_of(target_intent_id, strategy_id)}
        if decided_at:
            fields["decided_at"] = decided_at
        return self.send(**fields)

    def replace(self, intent_id, target_intent_id, **order):
        """Pushes a REPLACE: the order of target_intent_id is canceled and
        order, the complete new one (same symbol and side, a LIMIT; fields
        as send() takes them, type LIMIT and the target's strategy_id unless
        given), placed in its stead under intent_id. A HALT refuses it.
        Returns intent_id; when the replace takes effect the target's own
        stream ends CANCELED and wait() gives the new order's terminal
        report; when its cancel part fails nothing is placed, and wait()
        gives the replace's terminal report saying why (REJECTED / TOO_LATE
        when the target had already ended). Never re-sent."""
        for key in ("action", "target_intent_id"):
            if key in order:
                raise ExecplaneError(f"replace() sets {key} itself")
        order.setdefault("type", "LIMIT")
        order["strategy_id"] = self._strategy_of(target_intent_id, order.get("strategy_id"))
        return self.send(intent_id=intent_id, action="REPLACE", target_intent_id=target_intent_id,
                         **order)

    def _ours(self, report):
        """A report is an intent's outcome only from the intent's own stream:
        its strategy's, or this sender's own (a report told to the sender
        alone names no strategy, and carries the sender's key)."""
        if report.sender_key:
            return report.sender_key == self.own_key and report.intent_id in self.sent
        return report.strategy_id in self.sent.get(report.intent_id, ())

    def wait(self, intent_ids, timeout=30.0):
        """The terminal report of each intent id, in the order they come;
        raises ExecplaneError if one is missing at the timeout."""
        owed, deadline = set(intent_ids), time.monotonic() + timeout
        while owed:
            reports, through, head = self._ask(self.next_seq)
            self.next_seq = max(self.next_seq, through + 1)
            for report in reports:
                if report.terminal and report.intent_id in owed and self._ours(report):
                    owed.discard(report.intent_id)
                    yield report
            if owed and through >= head:
                if time.monotonic() >= deadline:
                    raise ExecplaneError(f"{len(owed)} intent(s) without a terminal report "
                                         f"after {timeout} s: {sorted(owed)[:5]}")
                self._read_sub(POLL_S)               # news of the plane, and a pause


class Monitor(_Connection):
    """Follows every report in seq order, each once: live from the
    subscription, and from the journal what it missed (the Clone pattern)."""

    def __init__(self, config_path=None, cert="monitor", insecure=False, from_seq=0,
                 timeout=10.0):
        super().__init__(config_path, cert, insecure)
        self.sub.setsockopt(zmq.SUBSCRIBE, b"outcome.")
        self.sub.setsockopt(zmq.SUBSCRIBE, b"plane")     # after: once it flows, so do reports
        self._await_plane(timeout)
        self.next_seq = from_seq or self.plane.last_seq + 1

    def _catch_up(self, to_seq):
        while self.next_seq <= to_seq:
            reports, through, head = self._ask(self.next_seq, to_seq)
            for report in reports:
                if self.next_seq <= report.seq <= through:
                    self.next_seq = report.seq + 1
                    yield report
            self.next_seq = max(self.next_seq, through + 1)
            if through >= head:
                return

    def reports(self, timeout=None):
        """Yields reports until timeout seconds pass without one (None: forever)."""
        quiet_since = time.monotonic()
        while timeout is None or time.monotonic() - quiet_since < timeout:
            # What the journal holds beyond what was seen: asked for first.
            if self.plane.last_seq >= self.next_seq:
                for report in self._catch_up(self.plane.last_seq):
                    quiet_since = time.monotonic()
                    yield report
            for report in self._read_sub(0.1):
                if report.seq > self.next_seq:
                    yield from self._catch_up(report.seq - 1)
                if report.seq == self.next_seq:
                    self.next_seq += 1
                    quiet_since = time.monotonic()
                    yield report
