"""execplane from Python: a strategy and a monitor over ZeroMQ with CURVE.

The same configuration file (ZPL) and certificates (ep-keygen) as the C
programs, found and read as they do: without a path given, the first of
$EXECPLANE_CONFIG, ./execplane.zpl, the user's
($XDG_CONFIG_HOME/execplane/execplane.zpl, ~/.config/...) and
/etc/execplane/execplane.zpl, else the built-in defaults; a relative path
in the file (security/certs...) is relative to the file's folder; names
and values refused as the C reader refuses them (ConfigError). The
messages are the classes protoc generates from schemas/execplane.proto at
build time (build/python/execplane_pb2.py, or share/execplane/python once
installed). Needs Debian's python3-zmq and python3-protobuf.

    strategy = Strategy()                         # found; certificate "strategy"
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
import socket
import time

import zmq
import zmq.auth

import execplane_pb2 as pb

QUERY_LIMIT = 1000
ASK_S = 30.0                    # how long a query is asked again before giving up
HEARTBEAT_MS, HEARTBEAT_TIMEOUT_MS = 1000, 3000     # ZMTP, as runtime/ep_sock.h
POLL_S = 0.02                   # how often a strategy asks for news while it waits


class ExecplaneError(Exception):
    """A configuration, certificate or protocol problem, said in one line."""


class ConfigError(ExecplaneError):
    """The configuration cannot be used: not there, not valid ZPL, or a name
    or value the C programs refuse (they exit 2 for it)."""


# Where the configuration is looked for without one given, in this order
# (runtime/ep_cli.h); README "Where the configuration is found".
CONFIG_ENV = "EXECPLANE_CONFIG"
CONFIG_NAME = "execplane.zpl"
CONFIG_SYSTEM = "/etc/execplane/execplane.zpl"


def find_config():
    """The configuration file a C program uses without --config, and the
    phrase its errors end with (ep_cli_config_find): (path, note). path is
    $EXECPLANE_CONFIG if set and not empty (there or not: loading it says
    so), else the first there of ./execplane.zpl, the user's
    ($XDG_CONFIG_HOME/execplane/execplane.zpl, ~/.config/... without it)
    and /etc/execplane/execplane.zpl; None if none is (the built-in
    defaults, relative to the working folder)."""
    env = os.environ.get(CONFIG_ENV)
    if env:
        return env, f"config {env} (from {CONFIG_ENV})"
    xdg, home = os.environ.get("XDG_CONFIG_HOME", ""), os.environ.get("HOME", "")
    user = (f"{xdg}/execplane/{CONFIG_NAME}" if xdg.startswith("/")
            else f"{home}/.config/execplane/{CONFIG_NAME}" if home else None)
    places = [(CONFIG_NAME, "the working folder", "./" + CONFIG_NAME),
              (user, "the user's", user), (CONFIG_SYSTEM, "the system's", CONFIG_SYSTEM)]
    tried = []
    for path, found_from, shown in places:
        if path is None:
            continue
        if os.access(path, os.F_OK):
            return path, f"config {path} (from {found_from})"
        tried.append(shown)
    try:
        cwd = os.getcwd()
    except OSError:
        cwd = "(unknown)"
    return None, (f"no config file (tried ${CONFIG_ENV} (not set), {', '.join(tried)}), "
                  f"so the built-in defaults, relative to the working folder {cwd}")


# Every key the C programs know (runtime/ep_config.c, s_keys, in its
# order): (kind, size or (min, max), built-in default). A "path" names a
# file or folder: written relative in a file, it is relative to the file's
# folder; a built-in default stays relative to the working folder. A
# string's size counts its terminating NUL, as the C buffer does.
_ENDPOINT, _PATH, _DESCRIPTION, _METRICS = 256, 1024, 256, 64
CONFIG_KEYS = {
    "router/intake": ("string", _ENDPOINT, "tcp://127.0.0.1:5550"),
    "router/outcomes": ("string", _ENDPOINT, "tcp://127.0.0.1:5551"),
    "router/control": ("string", _ENDPOINT, "tcp://127.0.0.1:5552"),
    "router/dispatch": ("string", _ENDPOINT, "tcp://127.0.0.1:5553"),
    "router/results": ("string", _ENDPOINT, "tcp://127.0.0.1:5554"),
    "router/query": ("string", _ENDPOINT, "tcp://127.0.0.1:5555"),
    "router/member": ("int", (0, 8), "0"),
    "router/journal": ("path", _PATH, "var/journal.db"),
    "router/paper_deadline_ms": ("int", (1, 86400000), "2000"),
    "router/live_deadline_ms": ("int", (1, 86400000), "30000"),
    "router/worker_timeout_ms": ("int", (10, 3600000), "1000"),
    "router/heartbeat_ms": ("int", (1, 60000), "100"),
    "router/takeover_ms": ("int", (10, 600000), "1000"),
    "router/journal_sync": ("string", 16, "full"),
    "router/drain_ms": ("int", (0, 600000), "5000"),
    "router/hwm": ("int", (100, 10000000), "100000"),
    "router/socket_buffer": ("int", (0, 64 * 1024 * 1024), "0"),
    "router/metrics": ("string", _METRICS, ""),
    "paper/slippage_bps": ("int", (0, 9999), "0"),
    "paper/liquidity_cap": ("decimal", None, "0"),
    "paper/metrics": ("string", _METRICS, ""),
    "paper/instruments": ("path", _PATH, ""),
    "paper/description": ("string", _DESCRIPTION, ""),
    "live/venue": ("string", 32, "binance"),
    "live/base_url": ("string", _ENDPOINT, "https://testnet.binance.vision"),
    "live/keys": ("path", _PATH, "var/venue.keys"),
    "live/audit": ("path", _PATH, "var/live-audit.db"),
    "live/recv_window_ms": ("int", (1, 60000), "5000"),
    "live/connect_timeout_ms": ("int", (1, 60000), "3000"),
    "live/timeout_ms": ("int", (1, 600000), "15000"),
    "live/poll_ms": ("int", (10, 3600000), "1000"),
    "live/clock_check_ms": ("int", (1000, 86400000), "300000"),
    "live/clock_max_offset_ms": ("int", (1, 3600000), "10000"),
    "live/rules_refresh_ms": ("int", (10000, 604800000), "3600000"),
    "live/description": ("string", _DESCRIPTION, ""),
    "live/stream_url": ("string", _ENDPOINT, "auto"),
    "live/stream_ping_ms": ("int", (100, 60000), "10000"),
    "live/stream_stall_ms": ("int", (200, 600000), "30000"),
    "live/stream_poll_ms": ("int", (1000, 86400000), "60000"),
    "live/stream_backoff_max_ms": ("int", (100, 3600000), "30000"),
    "live/metrics": ("string", _METRICS, ""),
    "security/curve": ("int", (0, 1), "1"),
    "security/certs": ("path", _PATH, "var/certs"),
}
DEFAULTS = {key: default for key, (_, _, default) in CONFIG_KEYS.items()}
# What strtoll reads whole: leading white space, a sign, digits
_WHOLE = re.compile(r"[ \t\n\v\f\r]*[+-]?[0-9]+")


def _distance(a, b):
    """Levenshtein distance, for "did you mean"."""
    row = list(range(len(b) + 1))
    for i, char in enumerate(a, 1):
        diagonal, row[0] = row[0], i
        for j in range(1, len(b) + 1):
            above = row[j]
            row[j] = min(diagonal + (char != b[j - 1]), above + 1, row[j - 1] + 1)
            diagonal = above
    return row[-1]


def _nearest(name, section):
    """The known section, or key, nearest to name (the first of equals)."""
    known = [key.split("/")[0] if section else key for key in CONFIG_KEYS]
    return min(known, key=lambda k: _distance(name, k))


def _check_names(path, lines):
    """The C reader's strict check of names, line by line (ep_config.c,
    s_check_names): every section and key known, none given twice, keys
    indented by 4 spaces under a section. Raises ConfigError."""
    sections, keys, section = {}, {}, None
    for number, line in enumerate(lines, 1):
        indent = len(line) - len(line.lstrip(" "))
        rest = line[indent:]
        if not rest or rest[0] in "#\r\n":
            continue
        where = f"config {path} line {number}"
        if rest[0] == "\t":
            raise ConfigError(f"{where}: indent with spaces, not tabs")
        name = re.match(r"[^ \t=#\r\n]*", rest).group(0)
        if not name or len(name.encode("utf-8", "surrogateescape")) >= 64:
            raise ConfigError(f"{where}: expected a name")
        if indent == 0:
            if not any(key.startswith(name + "/") for key in CONFIG_KEYS):
                raise ConfigError(f"{where}: unknown section {name} "
                                  f"(did you mean {_nearest(name, True)}?)")
            if name in sections:
                raise ConfigError(f"{where}: section {name} given twice "
                                  f"(first at line {sections[name]})")
            sections[name], section = number, name
            continue
        if section is None:
            raise ConfigError(f"{where}: key {name} before any section")
        if indent != 4:
            raise ConfigError(f"{where}: {name} indented by {indent} spaces "
                              f"(a key is indented by 4 under its section)")
        full = f"{section}/{name}"
        if full not in CONFIG_KEYS:
            raise ConfigError(f"{where}: unknown key {full} (did you mean {_nearest(full, False)}?)")
        if full in keys:
            raise ConfigError(f"{where}: key {full} given twice (first at line {keys[full]})")
        keys[full] = number


def _parse_zpl(lines):
    """{"section/key": value} as CZMQ's zconfig reads the file (values
    unquoted; a key without '=' has ""), or None where zconfig_load fails.
    Run after _check_names, which leaves only sections and their keys."""
    values, section = {}, None
    for line in lines:
        line = line.rstrip(" \t\n\v\f\r")
        indent = len(line) - len(line.lstrip(" "))
        if indent % 4:
            return None                         # "indent 4 spaces at once"
        rest = line[indent:]
        name = re.match(r"[A-Za-z0-9$\-_@.&+/]*", rest).group(0)
        rest = rest[len(name):].lstrip(" \t\n\v\f\r")
        if not name or name.startswith("/") or name.endswith("/"):
            if name or (rest and not rest.startswith("#")):
                return None
            continue
        value = ""
        if rest.startswith("="):
            rest = rest[1:].lstrip(" \t\n\v\f\r")
            if rest[:1] in ("'", '"'):
                end = rest.find(rest[0], 1)
                if end < 0:
                    return None
                value, after = rest[1:end], rest[end + 1:].lstrip(" \t\n\v\f\r")
                if after and not after.startswith("#"):
                    return None
            else:
                value = rest.split("#", 1)[0].rstrip(" \t\n\v\f\r")
        elif rest and not rest.startswith("#"):
            return None
        if indent == 0:
            section = name
        elif section is not None and indent == 4:
            values.setdefault(f"{section}/{name}", value)
        else:
            return None
    return values


def _metrics_error(address):
    """Why address may not serve metrics (ep_metrics_address_parse: a
    loopback HOST:PORT), or None."""
    host, colon, port = address.rpartition(":")
    if not colon or not host:
        return f'metrics address "{address}" is not HOST:PORT'
    if len(host.encode("utf-8", "surrogateescape")) >= 64:
        return f'metrics address "{address}": host too long'
    if not _WHOLE.fullmatch(port) or not 0 <= int(port) <= 65535:
        return f'metrics address "{address}": the port is not 0 to 65535'
    host = "127.0.0.1" if host == "localhost" else host
    try:
        if socket.inet_pton(socket.AF_INET, host)[0] == 127:
            return None
    except (OSError, ValueError):
        if len(host) > 2 and host[0] == "[" and host[-1] == "]":
            try:
                if socket.inet_pton(socket.AF_INET6, host[1:-1]) == bytes(15) + b"\x01":
                    return None
            except (OSError, ValueError):
                pass
    return (f'metrics address "{address}" is not a loopback address (127.0.0.1:PORT, '
            f"localhost:PORT or [::1]:PORT): metrics are served without authentication")


# The router's sockets, whose keys may list one endpoint per router
# (runtime/ep_endpoints.h; README "Two routers").
SOCKET_KEYS = ("intake", "outcomes", "control", "dispatch", "results", "query")
ENDPOINTS_MAX = 8


def split_endpoints(text):
    """The endpoints a router socket key lists, comma-separated (spaces
    around each dropped); raises ValueError with the C reader's words."""
    items = []
    for item in text.split(","):
        item = item.strip(" ")
        if not item:
            raise ValueError(f'"{text}": ' + ("an empty endpoint in the list"
                                                if "," in text else "no endpoint"))
        if len(items) == ENDPOINTS_MAX:
            raise ValueError(f'"{text}": more than {ENDPOINTS_MAX} endpoints')
        if item[0] in "@>":
            raise ValueError(f'"{item}": write the endpoint without \'{item[0]}\' (a router '
                             f"binds its own endpoint, clients connect to every one)")
        items.append(item)
    return items


def _endpoints_error(config):
    """Why the router section's endpoint lists cannot be used, in the C
    reader's words (ep_endpoints_check), or None."""
    first = 0
    for index, key in enumerate(SOCKET_KEYS):
        try:
            count = len(split_endpoints(config[f"router/{key}"]))
        except ValueError as error:
            return f"router/{key}: {error}"
        if index == 0:
            first = count
        elif count != first:
            return (f"router/{key} lists {count} endpoint(s) but router/{SOCKET_KEYS[0]} "
                    f"{first}: every socket's list names the same routers, in the same order")
    member = int(config["router/member"])
    if member > first:
        return (f"router/member is {member} but the lists name {first} router(s): it is the "
                f"position (1 to {first}) of this router's own endpoint in every list")
    return None


def load_config(path):
    """The configuration as {"section/key": "value"}, every key the C
    programs know: the built-in defaults, overridden by the ZPL file at path
    (None: the defaults alone), read as strictly as ep_config_load reads it
    (ConfigError for what it refuses, with its message). A relative path
    written in the file (router/journal, paper/instruments, live/keys,
    live/audit, security/certs) is made relative to the file's folder, and
    absolute; a built-in default ("var/certs") stays relative to the
    working folder."""
    config = dict(DEFAULTS)
    if path is None:
        return config
    if not os.path.exists(path):
        raise ConfigError(f"config {path}: no such file")
    if os.path.isdir(path):
        raise ConfigError(f"config {path}: is a folder, not a file")
    try:
        with open(path, "rb") as file:
            lines = file.read().decode("utf-8", "surrogateescape").split("\n")
    except OSError as error:
        raise ConfigError(f"config {path}: {error.strerror}") from None
    _check_names(path, lines)
    values = _parse_zpl(lines)
    if values is None:
        raise ConfigError(f"config {path}: not a valid ZPL file")
    # The file's folder, absolute, as s_folder_of names it ("" for the root)
    slash = path.rfind("/")
    if path.startswith("/"):
        folder = path[:slash]
    else:
        try:
            cwd = os.getcwd()
        except OSError as error:
            raise ConfigError(f"config {path}: cannot name its folder: {error.strerror}") from None
        cwd = "" if cwd == "/" else cwd
        folder = f"{cwd}/{path[:slash]}" if slash >= 0 else cwd
    for key, (kind, limits, _) in CONFIG_KEYS.items():
        if key not in values:
            continue
        text = values[key]
        if kind in ("string", "path"):
            if len(text.encode("utf-8", "surrogateescape")) >= limits:
                raise ConfigError(f"config {path}: {key}: value longer than {limits - 1} characters")
            if kind == "path" and text and not text.startswith("/"):
                text = f"{folder}/{text}"
                if len(text.encode("utf-8", "surrogateescape")) >= limits:
                    raise ConfigError(f"config {path}: {key}: longer than {limits - 1} characters "
                                      f"once relative to {folder}")
        elif kind == "decimal":
            try:
                e8(text)
            except DecimalError as error:
                raise ConfigError(f'config {path}: {key}: {error.reason} ("{text}")') from None
        elif not _WHOLE.fullmatch(text) or not limits[0] <= int(text) <= limits[1]:
            raise ConfigError(f"config {path}: {key}: expected a whole number from {limits[0]} "
                              f'to {limits[1]}, got "{text}"')
        else:
            text = str(int(text))               # as read: "+1" and " 01" are 1
        config[key] = text
    why = _endpoints_error(config)
    if why:
        raise ConfigError(f"config {path}: {why}")
    if config["router/journal_sync"] not in ("full", "normal"):
        raise ConfigError(f"config {path}: router/journal_sync must be full or normal")
    for section in ("router", "paper", "live"):
        why = config[f"{section}/metrics"] and _metrics_error(config[f"{section}/metrics"])
        if why:
            raise ConfigError(f"config {path}: {section}/{why}")
    return config


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
    """config_path: the ZPL file; None (or ""): found as the C programs find
    theirs without --config (find_config). Every error about the
    configuration or the certificates names the file used and how it was
    found, or the places tried (ConfigError for the configuration itself)."""

    def __init__(self, config_path, cert, insecure):
        if config_path:
            self.config_path = os.fspath(config_path)
            self.config_note = f"config {self.config_path} (given)"
        else:
            self.config_path, self.config_note = find_config()
        try:
            self.config = load_config(self.config_path)
        except ConfigError as error:
            # Naming the file given already: said once (ep_cli_config_error)
            raise (error if config_path and str(error).startswith("config ")
                   else ConfigError(f"{error}; {self.config_note}")) from None
        self.context = zmq.Context.instance()
        self.curve = not insecure
        if self.curve and self.config["security/curve"] == "0":
            raise ConfigError(f"security/curve = 0 needs insecure=True; {self.config_note}")
        if self.curve:
            certs = self.config["security/certs"]          # joined as the C programs join it
            self.public, self.secret = self._certificate(f"{certs}/{cert}_secret")
            if not self.secret:
                raise ExecplaneError(f"{certs}/{cert}_secret: no curve/secret-key in it; "
                                     f"{self.config_note}")
            self.router, _ = self._certificate(f"{certs}/public/router")
        self.sockets = []
        self.plane = None                       # the newest PlaneState
        self.sub = self._socket(zmq.SUB, "router/outcomes")
        self.query = self._socket(zmq.DEALER, "router/query")

    def _certificate(self, path):
        """(public, secret) of the certificate file at path; raises
        ExecplaneError saying which file, and which configuration."""
        if not os.path.exists(path):
            raise ExecplaneError(f"{path}: no such file (ep-keygen writes it); {self.config_note}")
        try:
            return zmq.auth.load_certificate(path)
        except (OSError, ValueError) as error:
            raise ExecplaneError(f"{path}: {getattr(error, 'strerror', None) or error}; "
                                 f"{self.config_note}") from None

    def _socket(self, kind, key):
        """A socket connected to every router the key lists (README "Two
        routers"): with several, a PUSH or DEALER sends only where a router
        is there (ZMQ_IMMEDIATE), and every connection but a PUSH's carries
        ZMTP heartbeats, so one whose router went silent is dropped (a
        router that pushes back stops reading a PUSH's heartbeats too)."""
        endpoints = split_endpoints(self.config[key])
        socket = self.context.socket(kind)
        socket.linger = 1000
        if self.curve:
            socket.curve_publickey, socket.curve_secretkey = self.public, self.secret
            socket.curve_serverkey = self.router
        if kind in (zmq.PUSH, zmq.DEALER) and len(endpoints) > 1:
            socket.setsockopt(zmq.IMMEDIATE, 1)
        if kind != zmq.PUSH:
            socket.setsockopt(zmq.HEARTBEAT_IVL, HEARTBEAT_MS)
            socket.setsockopt(zmq.HEARTBEAT_TIMEOUT, HEARTBEAT_TIMEOUT_MS)
        for endpoint in endpoints:
            socket.connect(endpoint)
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

    def _ask(self, from_seq, to_seq=0, timeout=ASK_S):
        """The journaled reports from from_seq (to to_seq; 0: the newest)
        that this key may see: (reports, through_seq, head_seq). Asked
        again every second while no answer comes: a router lost with the
        question is not there to answer it, and whichever router serves
        next is asked (a late answer to an earlier ask is as good: every
        caller takes only what is past what it has)."""
        request = pb.QueryRequest(from_seq=from_seq, to_seq=to_seq, limit=QUERY_LIMIT)
        deadline = time.monotonic() + timeout
        while True:
            try:
                self.query.send_multipart([b"reports", request.SerializeToString()], zmq.NOBLOCK)
            except zmq.Again:
                pass                                # no router there now
            left = deadline - time.monotonic()
            if left <= 0:
                raise ExecplaneError(f"no answer from the router's query socket within "
                                     f"{timeout} s")
            if self.query.poll(int(min(left, 1.0) * 1000)):
                break
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
