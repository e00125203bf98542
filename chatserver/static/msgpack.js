// msgpack for the browser: the subset chatserver's wire protocol uses.
//
// Why not a library: the protocol needs nil, booleans, integers up to 2^53,
// strings, arrays and maps (and must tolerate floats and bin it never sends),
// which is ~250 lines; serving a vendored library would be bigger, and there
// is no build step. This module has no dependencies and runs as a plain ES
// module. tests/browser/test_codec.py checks it against protocol/vectors.json
// and against Python's msgpack.
//
// encode(value) -> Uint8Array   shortest encoding of each value
// decode(bytes) -> value        exactly one value, else MsgpackError
//
// Decoding is strict where the protocol says so (PROTOCOL.md, "Encoding
// rules"): invalid UTF-8 and trailing bytes are errors; map keys must be
// strings, except that entries under a bin key are skipped, as the reference
// decoder does. Ext types are not used by the protocol and are rejected.

export const MAX_INTEGER = 2 ** 53;
const MAX_DEPTH = 100;

export class MsgpackError extends Error {
  constructor(message) {
    super(message);
    this.name = "MsgpackError";
  }
}

/** A decoded float, when decode() is asked to keep floats apart from integers. */
export class Float {
  constructor(value) {
    this.value = value;
  }
}

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

// --- encoding ---------------------------------------------------------------

class Writer {
  constructor() {
    this.bytes = new Uint8Array(128);
    this.view = new DataView(this.bytes.buffer);
    this.pos = 0;
  }

  reserve(n) {
    if (this.pos + n <= this.bytes.length) return;
    let size = this.bytes.length * 2;
    while (size < this.pos + n) size *= 2;
    const bigger = new Uint8Array(size);
    bigger.set(this.bytes.subarray(0, this.pos));
    this.bytes = bigger;
    this.view = new DataView(bigger.buffer);
  }

  u8(x) { this.reserve(1); this.view.setUint8(this.pos, x); this.pos += 1; }
  u16(x) { this.reserve(2); this.view.setUint16(this.pos, x); this.pos += 2; }
  u32(x) { this.reserve(4); this.view.setUint32(this.pos, x); this.pos += 4; }
  i8(x) { this.reserve(1); this.view.setInt8(this.pos, x); this.pos += 1; }
  i16(x) { this.reserve(2); this.view.setInt16(this.pos, x); this.pos += 2; }
  i32(x) { this.reserve(4); this.view.setInt32(this.pos, x); this.pos += 4; }
  f64(x) { this.reserve(8); this.view.setFloat64(this.pos, x); this.pos += 8; }

  // 64-bit integers within +-2^53, written as two 32-bit halves (two's complement).
  i64(x) {
    const high = Math.floor(x / 2 ** 32);
    this.i32(high);
    this.u32(x - high * 2 ** 32);
  }

  raw(bytes) {
    this.reserve(bytes.length);
    this.bytes.set(bytes, this.pos);
    this.pos += bytes.length;
  }

  // A header for str, bin, array or map: the fix form when there is one, then 8/16/32.
  header(n, fix, fixMax, c8, c16, c32) {
    if (fix !== null && n <= fixMax) this.u8(fix | n);
    else if (c8 !== null && n <= 0xff) { this.u8(c8); this.u8(n); }
    else if (n <= 0xffff) { this.u8(c16); this.u16(n); }
    else { this.u8(c32); this.u32(n); }
  }

  result() {
    return this.bytes.slice(0, this.pos);
  }
}

function encodeInteger(w, x) {
  if (x > MAX_INTEGER || x < -MAX_INTEGER) {
    throw new MsgpackError(`integers must be within +-2^53, got ${x}`);
  }
  if (x >= 0) {
    if (x < 0x80) w.u8(x);
    else if (x <= 0xff) { w.u8(0xcc); w.u8(x); }
    else if (x <= 0xffff) { w.u8(0xcd); w.u16(x); }
    else if (x <= 0xffffffff) { w.u8(0xce); w.u32(x); }
    else { w.u8(0xcf); w.i64(x); }
  } else if (x >= -32) w.u8(0xe0 | (x + 32));
  else if (x >= -0x80) { w.u8(0xd0); w.i8(x); }
  else if (x >= -0x8000) { w.u8(0xd1); w.i16(x); }
  else if (x >= -0x80000000) { w.u8(0xd2); w.i32(x); }
  else { w.u8(0xd3); w.i64(x); }
}

function encodeValue(w, value, depth) {
  if (depth > MAX_DEPTH) throw new MsgpackError("value is nested too deeply");
  if (value === null || value === undefined) w.u8(0xc0);
  else if (value === false) w.u8(0xc2);
  else if (value === true) w.u8(0xc3);
  else if (typeof value === "number") {
    if (Number.isInteger(value)) encodeInteger(w, value);
    else { w.u8(0xcb); w.f64(value); }
  } else if (value instanceof Float) {
    w.u8(0xcb);
    w.f64(value.value);
  } else if (typeof value === "string") {
    const bytes = encoder.encode(value);
    w.header(bytes.length, 0xa0, 31, 0xd9, 0xda, 0xdb);
    w.raw(bytes);
  } else if (value instanceof Uint8Array || value instanceof ArrayBuffer) {
    const bytes = value instanceof Uint8Array ? value : new Uint8Array(value);
    w.header(bytes.length, null, 0, 0xc4, 0xc5, 0xc6);
    w.raw(bytes);
  } else if (Array.isArray(value)) {
    w.header(value.length, 0x90, 15, null, 0xdc, 0xdd);
    for (const item of value) encodeValue(w, item, depth + 1);
  } else if (value instanceof Map) {
    w.header(value.size, 0x80, 15, null, 0xde, 0xdf);
    for (const [k, v] of value) {
      encodeValue(w, k, depth + 1);
      encodeValue(w, v, depth + 1);
    }
  } else if (typeof value === "object") {
    const keys = Object.keys(value);
    w.header(keys.length, 0x80, 15, null, 0xde, 0xdf);
    for (const k of keys) {
      encodeValue(w, k, depth + 1);
      encodeValue(w, value[k], depth + 1);
    }
  } else {
    throw new MsgpackError(`cannot encode a ${typeof value}`);
  }
}

/** Encode one value as msgpack bytes (the shortest form of each value). */
export function encode(value) {
  const w = new Writer();
  encodeValue(w, value, 0);
  return w.result();
}

// --- decoding ---------------------------------------------------------------

class Reader {
  constructor(bytes, keepFloats) {
    this.bytes = bytes;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.pos = 0;
    this.keepFloats = keepFloats;
  }

  need(n) {
    if (this.pos + n > this.bytes.length) {
      throw new MsgpackError("unexpected end of data");
    }
  }

  u8() { this.need(1); return this.view.getUint8(this.pos++); }
  u16() { this.need(2); const x = this.view.getUint16(this.pos); this.pos += 2; return x; }
  u32() { this.need(4); const x = this.view.getUint32(this.pos); this.pos += 4; return x; }
  i8() { this.need(1); return this.view.getInt8(this.pos++); }
  i16() { this.need(2); const x = this.view.getInt16(this.pos); this.pos += 2; return x; }
  i32() { this.need(4); const x = this.view.getInt32(this.pos); this.pos += 4; return x; }

  // 64-bit integers: only those within +-2^53 (the protocol's range) are exact in JS.
  // The halves are checked before they are combined, which would round 2^53 + 1.
  u64() {
    const high = this.u32();
    const low = this.u32();
    if (high > 0x200000 || (high === 0x200000 && low > 0)) {
      throw new MsgpackError("integer over 2^53");
    }
    return high * 2 ** 32 + low;
  }

  i64() {
    const high = this.i32();
    const low = this.u32();
    if (high > 0x200000 || (high === 0x200000 && low > 0) || high < -0x200000) {
      throw new MsgpackError("integer outside +-2^53");
    }
    return high * 2 ** 32 + low;
  }

  float(size) {
    this.need(size);
    const x = size === 4 ? this.view.getFloat32(this.pos) : this.view.getFloat64(this.pos);
    this.pos += size;
    return this.keepFloats ? new Float(x) : x;
  }

  take(n) {
    this.need(n);
    const out = this.bytes.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  str(n) {
    try {
      return decoder.decode(this.take(n));
    } catch (err) {
      if (err instanceof MsgpackError) throw err;
      throw new MsgpackError("invalid UTF-8 in a string");
    }
  }

  // Every array item or map entry takes at least one byte: refuse absurd lengths early.
  count(n, perItem) {
    if (n * perItem > this.bytes.length - this.pos) {
      throw new MsgpackError("unexpected end of data");
    }
    return n;
  }

  array(n, depth) {
    this.count(n, 1);
    const out = new Array(n);
    for (let i = 0; i < n; i++) out[i] = this.value(depth + 1);
    return out;
  }

  map(n, depth) {
    this.count(n, 2);
    const out = {};
    for (let i = 0; i < n; i++) {
      const key = this.value(depth + 1);
      const item = this.value(depth + 1);
      if (key instanceof Uint8Array) continue; // bin keys are ignored (PROTOCOL.md)
      if (typeof key !== "string") throw new MsgpackError("map keys must be strings");
      // defineProperty: a "__proto__" key must be data, not a new prototype.
      Object.defineProperty(out, key, {
        value: item, enumerable: true, writable: true, configurable: true,
      });
    }
    return out;
  }

  value(depth) {
    if (depth > MAX_DEPTH) throw new MsgpackError("data is nested too deeply");
    const b = this.u8();
    if (b <= 0x7f) return b;
    if (b <= 0x8f) return this.map(b & 0x0f, depth);
    if (b <= 0x9f) return this.array(b & 0x0f, depth);
    if (b <= 0xbf) return this.str(b & 0x1f);
    if (b >= 0xe0) return b - 0x100;
    switch (b) {
      case 0xc0: return null;
      case 0xc2: return false;
      case 0xc3: return true;
      case 0xc4: return this.take(this.u8()).slice();
      case 0xc5: return this.take(this.u16()).slice();
      case 0xc6: return this.take(this.u32()).slice();
      case 0xca: return this.float(4);
      case 0xcb: return this.float(8);
      case 0xcc: return this.u8();
      case 0xcd: return this.u16();
      case 0xce: return this.u32();
      case 0xcf: return this.u64();
      case 0xd0: return this.i8();
      case 0xd1: return this.i16();
      case 0xd2: return this.i32();
      case 0xd3: return this.i64();
      case 0xd9: return this.str(this.u8());
      case 0xda: return this.str(this.u16());
      case 0xdb: return this.str(this.u32());
      case 0xdc: return this.array(this.u16(), depth);
      case 0xdd: return this.array(this.u32(), depth);
      case 0xde: return this.map(this.u16(), depth);
      case 0xdf: return this.map(this.u32(), depth);
      case 0xc1: throw new MsgpackError("0xc1 is never used in msgpack");
      default: throw new MsgpackError("ext types are not used by this protocol");
    }
  }
}

/**
 * Decode exactly one msgpack value.
 *
 * Maps become plain objects, arrays arrays, bin Uint8Array, integers and
 * floats numbers (or Float objects with {keepFloats: true}, so that a caller
 * can tell 5.0 from 5).
 */
export function decode(data, { keepFloats = false } = {}) {
  const bytes = data instanceof Uint8Array ? data : new Uint8Array(data);
  const reader = new Reader(bytes, keepFloats);
  const value = reader.value(0);
  if (reader.pos !== bytes.length) {
    throw new MsgpackError(`${bytes.length - reader.pos} trailing bytes after the value`);
  }
  return value;
}
