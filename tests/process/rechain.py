#!/usr/bin/env python3
"""What an attacker who knows the chain's algorithm does after editing rows
of a journal or audit: recompute the chain from its first row, so that the
file holds together again. Only a head recorded elsewhere shows it (the
tests prove that). Usage: rechain.py FILE"""
import hashlib
import sqlite3
import struct
import sys

TYPES = {int: 1, float: 2, str: 3, bytes: 4, type(None): 5}


def canonical(row):
    out = struct.pack(">Q", len(row))
    for value in row:
        out += bytes([TYPES[type(value)]])
        if value is None:
            continue
        if isinstance(value, int):
            out += struct.pack(">q", value)
        elif isinstance(value, float):
            out += struct.pack(">d", value)
        else:
            data = value.encode() if isinstance(value, str) else value
            out += struct.pack(">Q", len(data)) + data
    return out


def row_hash_of(table, row):
    current = db.execute(f'SELECT * FROM "{table}" WHERE rowid = ?', (row,)).fetchone()
    return hashlib.sha256(canonical(current)).digest()


def rows_of(blob):
    """A commit's rows: (table, rowid) each, as the chain lists them."""
    at = 0
    while at < len(blob):
        nul = blob.index(b"\0", at)
        table = blob[at:nul].decode()
        (row,) = struct.unpack(">q", blob[nul + 1:nul + 9])
        yield table, row
        at = nul + 9 + 32


db = sqlite3.connect(sys.argv[1])
columns = [c[1] for c in db.execute("PRAGMA table_info(chain)")]
select = "SELECT id, tbl, row, at_us, " + ("rows" if "rows" in columns else "NULL") + " FROM chain ORDER BY id"
prev = bytes(32)
for cid, table, row, at_us, rows in db.execute(select).fetchall():
    if table == "*":
        # A commit: each row it lists hashed again, and the list
        rows = b"".join(t.encode() + b"\0" + struct.pack(">q", r) + row_hash_of(t, r)
                        for t, r in rows_of(rows))
        row_hash = hashlib.sha256(rows).digest()
    else:
        row_hash = row_hash_of(table, row)
    chain_hash = hashlib.sha256(prev + table.encode() + b"\0" + struct.pack(">qq", row, at_us)
                                + row_hash).digest()
    db.execute("UPDATE chain SET row_hash = ?, hash = ?" + (", rows = ?" if table == "*" else "")
               + " WHERE id = ?", (row_hash, chain_hash) + ((rows,) if table == "*" else ()) + (cid,))
    prev = chain_hash
db.commit()
