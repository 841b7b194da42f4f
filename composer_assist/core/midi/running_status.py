"""Making running status explicit in a standard MIDI file's bytes before mido parses them.

The SMF spec says a SysEx or meta event cancels running status, but real files (and the jazz-soft
test ``test-running-status-sysex.mid``) resume the last channel status after a SysEx; mido then
reads the next data byte as a SysEx length and runs off the end.  This walk writes every channel
message with its status byte, keeping the channel status across SysEx and meta events, and drops
chunks of a type it does not know, as the spec asks of a reader.  On
anything it does not understand it gives the bytes back unchanged and lets mido report.
"""

from __future__ import annotations

import struct

# Data bytes after a channel status (high nibble): program change and channel pressure take one.
_DATA_LEN = {0x80: 2, 0x90: 2, 0xA0: 2, 0xB0: 2, 0xC0: 1, 0xD0: 1, 0xE0: 2}


def explicit_running_status(data: bytes) -> bytes:
    try:
        return _rewrite(data)
    except (IndexError, ValueError, struct.error):
        return data


def _rewrite(data: bytes) -> bytes:
    out = bytearray()
    pos = 0
    while pos + 8 <= len(data):
        kind, size = data[pos:pos + 4], struct.unpack(">I", data[pos + 4:pos + 8])[0]
        body = data[pos + 8:pos + 8 + size]
        if len(body) < size:
            return data  # truncated: mido names it
        pos += 8 + size
        if kind not in (b"MThd", b"MTrk"):
            continue  # the SMF spec: a reader skips chunk types it does not know (not counted as tracks)
        if kind == b"MTrk":
            body = _track(body)
        out += kind + struct.pack(">I", len(body)) + body
    return bytes(out + data[pos:])


def _varlen(buf: bytes, pos: int) -> tuple[int, int]:
    value = 0
    for _ in range(4):
        b = buf[pos]
        pos += 1
        value = (value << 7) | (b & 0x7F)
        if b < 0x80:
            return value, pos
    raise ValueError("variable-length number too long")


def _track(body: bytes) -> bytes:
    out = bytearray()
    pos, status = 0, None
    while pos < len(body):
        start = pos
        _, pos = _varlen(body, pos)
        out += body[start:pos]
        b = body[pos]
        if b == 0xFF:  # meta: ff type len data
            length, end = _varlen(body, pos + 2)
            out += body[pos:end + length]
            pos = end + length
        elif b in (0xF0, 0xF7):  # sysex: f0/f7 len data
            length, end = _varlen(body, pos + 1)
            out += body[pos:end + length]
            pos = end + length
        elif b >= 0x80:
            if b >= 0xF0:
                raise ValueError("system common message in a file")
            status = b
            n = _DATA_LEN[b & 0xF0]
            out += body[pos:pos + 1 + n]
            pos += 1 + n
        else:
            if status is None:
                raise ValueError("running status with no status")
            n = _DATA_LEN[status & 0xF0]
            out.append(status)
            out += body[pos:pos + n]
            pos += n
    return bytes(out)
