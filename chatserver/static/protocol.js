// Frames of wire protocol v1 for browser clients: encodeFrame / decodeFrame.
//
// The field tables below transcribe protocol/PROTOCOL.md ("Frames"); the
// Python frames in protocol/frames.py are the reference, and
// tests/browser/test_codec.py holds this module to protocol/vectors.json
// (valid, lenient and invalid vectors alike). Decoding checks every field
// the way the reference does, drops unknown keys and nil values ("nil means
// absent") and fills absent topic arrays with [], so a decoded frame is a
// plain object equal to a vector's "frame".

import { decode, encode, Float, MsgpackError } from "./msgpack.js";

export const PROTOCOL_VERSION = 1;

/** The decoder's default limits (PROTOCOL.md, "Limits"). */
export const DEFAULT_LIMITS = Object.freeze({
  max_frame_bytes: 16384, max_text_chars: 4000, max_intro_chars: 1000, max_note_chars: 500,
});

/** A client accepts whatever its server's limits allow (like chatserver.client). */
export const GENEROUS_LIMITS = Object.freeze({
  max_frame_bytes: 1 << 24, max_text_chars: 1 << 20, max_intro_chars: 1 << 20,
  max_note_chars: 1 << 16,
});

export class ProtocolError extends Error {
  constructor(code, message, field = null, ref = null) {
    super(message);
    this.name = "ProtocolError";
    this.code = code;
    this.field = field;
    this.ref = ref;
  }
}

// --- text rules shared with the UI -------------------------------------------

/** Length in Unicode code points, as the protocol counts (not UTF-16 units). */
export function codePoints(text) {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const d = text.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) i++;
    }
    n++;
  }
  return n;
}

// Python's str.isspace set: what the server counts as blank.
const BLANK = /^[\t\n\v\f\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*$/;

/** True when the server would reject this text as blank. */
export function isBlank(text) {
  return BLANK.test(text);
}

const CONTROL = /[\x00-\x1f\x7f]/;
const TOPIC = /^[a-z0-9][a-z0-9_-]{0,31}$/;

// --- field kinds ------------------------------------------------------------

function describe(value) {
  if (value === null || value === undefined) return "nil";
  if (typeof value === "boolean") return "a boolean";
  if (typeof value === "number") return "an integer";
  if (value instanceof Float) return "a float";
  if (typeof value === "string") return `a string of ${codePoints(value)} characters`;
  if (value instanceof Uint8Array) return "binary data";
  if (Array.isArray(value)) return `an array of ${value.length} items`;
  return "a map";
}

function invalid(path, expected, value) {
  return new ProtocolError(
    "invalid_field", `${path}: expected ${expected}, got ${describe(value)}`, path,
  );
}

function isMap(value) {
  return typeof value === "object" && value !== null && !Array.isArray(value)
    && !(value instanceof Uint8Array) && !(value instanceof Float);
}

/** An id (64), label (80 or less) or credential (4096): non-empty, no control characters. */
function ident(maxLen = 64) {
  return (value, path) => {
    if (typeof value !== "string" || value === "" || codePoints(value) > maxLen) {
      throw invalid(path, `a non-empty string of at most ${maxLen} characters`, value);
    }
    if (CONTROL.test(value)) {
      throw new ProtocolError("invalid_field", `${path}: expected no control characters`, path);
    }
    return value;
  };
}

const label = (maxLen = 80) => ident(maxLen);
const credential = () => ident(4096);

/** Words a person wrote: non-blank, at most limits[limit] characters. */
function words(limit = "max_text_chars") {
  return (value, path, limits) => {
    if (typeof value !== "string") throw invalid(path, "a string", value);
    const most = limits[limit];
    if (codePoints(value) > most) {
      throw new ProtocolError(
        "too_large", `${path}: expected at most ${most} characters`, path,
      );
    }
    if (isBlank(value)) {
      throw new ProtocolError("invalid_field", `${path}: expected some text, got only blanks`, path);
    }
    return value;
  };
}

function integer(low = 0, high = 2 ** 53) {
  return (value, path) => {
    if (typeof value !== "number" || !Number.isInteger(value) || value < low || value > high) {
      throw invalid(path, `an integer from ${low} to ${high}`, value);
    }
    return value;
  };
}

function boolean() {
  return (value, path) => {
    if (typeof value !== "boolean") throw invalid(path, "true or false", value);
    return value;
  };
}

function choice(...allowed) {
  return (value, path) => {
    if (typeof value !== "string" || !allowed.includes(value)) {
      throw invalid(path, `one of ${allowed.join(", ")}`, value);
    }
    return value;
  };
}

function topics() {
  return (value, path) => {
    if (!Array.isArray(value) || value.length > 5) {
      throw invalid(path, "an array of at most 5 topic names", value);
    }
    const seen = [];
    value.forEach((item, i) => {
      const where = `${path}[${i}]`;
      if (typeof item !== "string" || !TOPIC.test(item)) throw invalid(where, "a topic name", item);
      if (seen.includes(item)) {
        throw new ProtocolError("invalid_field", `${where}: topic listed twice`, where);
      }
      seen.push(item);
    });
    return seen;
  };
}

function seqMap() {
  const key = ident(64);
  return (value, path) => {
    if (!isMap(value) || Object.keys(value).length > 64) {
      throw invalid(path, "a map of at most 64 session ids to integers", value);
    }
    const out = {};
    for (const [k, seq] of Object.entries(value)) {
      key(k, `${path} key`);
      if (typeof seq !== "number" || !Number.isInteger(seq) || seq < 0) {
        throw invalid(`${path}.${k}`, "an integer of at least 0", seq);
      }
      out[k] = seq;
    }
    return out;
  };
}

function list(fields, most = 200) {
  return (value, path, limits) => {
    if (!Array.isArray(value) || value.length > most) {
      throw invalid(path, `an array of at most ${most} maps`, value);
    }
    return value.map((item, i) => {
      if (!isMap(item)) throw invalid(`${path}[${i}]`, "a map", item);
      return checkFields(fields, item, limits, `${path}[${i}].`);
    });
  };
}

// A field: [check, required, defaultWhenAbsent].
const req = (check) => [check, true, undefined];
const opt = (check) => [check, false, undefined];
const topicList = () => [topics(), false, () => []];
const entryList = (fields, most) => [list(fields, most), true, undefined];

// --- the frames (PROTOCOL.md, "Frames") -------------------------------------

const QUEUE_ENTRY = {
  id: req(ident()), topics: topicList(), waited_s: req(integer()),
  priority: opt(choice("normal", "urgent")), risk: opt(boolean()),
};
const RESOURCE_ITEM = {
  name: req(label()), phone: opt(label()), sms: opt(label()), url: opt(label(200)),
  hours: opt(label()),
};
const SESSION_INFO = {
  id: req(ident()), topics: topicList(), listener: req(label()), started_s: req(integer()),
  risk: opt(boolean()), escalated: opt(boolean()), supervised: opt(boolean()),
};
const SESSION = { session: req(ident()) };

export const CLIENT_FRAMES = {
  hello: {
    v: req(integer(1, PROTOCOL_VERSION)), role: req(choice("seeker", "listener")),
    token: opt(credential()), resume: opt(credential()), last_seq: opt(seqMap()),
    lang: opt(label(16)), region: opt(label(16)),
  },
  request: { topics: topicList(), intro: opt(words("max_intro_chars")) },
  ready: {},
  away: {},
  take: { seeker: opt(ident()) },
  send: { session: req(ident()), text: req(words()), id: req(ident()) },
  typing: SESSION,
  end: {
    session: req(ident()), reason: opt(choice("done", "no_reply", "unsafe", "other")),
    block: opt(boolean()),
  },
  report: {
    session: req(ident()), reason: req(choice("abuse", "harassment", "spam", "unsafe", "other")),
  },
  feedback: { session: req(ident()), score: req(integer(1, 5)) },
  resources_request: {},
  escalate: { session: req(ident()), note: opt(words("max_note_chars")) },
  join: SESSION,
  leave: SESSION,
  transfer: {
    session: req(ident()), to: opt(choice("listener", "supervisor")),
    note: opt(words("max_note_chars")),
  },
  debrief_request: { session: opt(ident()) },
};

export const SERVER_FRAMES = {
  welcome: {
    v: req(integer(1)), role: req(label()), handle: req(label()), resume: req(credential()),
    resumed: opt(boolean()),
  },
  queued: {
    session: req(ident()), position: req(integer(1)), waiting: req(integer(1)),
    eta_s: opt(integer()),
  },
  queue: { waiting: req(integer()), entries: entryList(QUEUE_ENTRY) },
  matched: {
    session: req(ident()), peer: req(label()), topics: topicList(),
    intro: opt(words("max_intro_chars")), risk: opt(boolean()),
    handover: opt(words("max_note_chars")),
  },
  message: {
    session: req(ident()), seq: req(integer(1)), text: req(words()), ts: req(integer()),
    sender: opt(label()),
  },
  sent: { session: req(ident()), id: req(ident()), seq: req(integer(1)), ts: req(integer()) },
  typing: SESSION,
  ended: { session: req(ident()), reason: req(label()) },
  peer_away: SESSION,
  peer_back: SESSION,
  reconnect: { after_ms: req(integer(0, 600000)) },
  service: { available: req(boolean()) },
  resources: { reason: req(label()), items: entryList(RESOURCE_ITEM, 20) },
  risk_flag: SESSION,
  escalation: {
    session: req(ident()), listener: req(label()), topics: topicList(), risk: opt(boolean()),
    note: opt(words("max_note_chars")),
  },
  reported: { session: req(ident()), reason: req(label()), by: req(label()) },
  debrief: { listener: req(label()), session: opt(ident()) },
  member_joined: { session: req(ident()), name: req(label()), role: req(label()) },
  member_left: { session: req(ident()), name: req(label()) },
  transferred: { session: req(ident()), peer: req(label()) },
  break_suggested: { worked_s: req(integer()) },
  overview: { waiting: req(integer()), sessions: entryList(SESSION_INFO) },
  error: { code: req(label()), message: req(words("max_note_chars")), ref: opt(label()) },
};

const REGISTRIES = { client: CLIENT_FRAMES, server: SERVER_FRAMES };

function checkFields(fields, raw, limits, prefix = "") {
  const out = {};
  for (const [name, [check, required, fallback]] of Object.entries(fields)) {
    const value = Object.hasOwn(raw, name) ? raw[name] : null;
    if (value === null || value === undefined) {
      if (required) {
        throw new ProtocolError(
          "invalid_field", `${prefix}${name}: required field is missing`, prefix + name,
        );
      }
      if (fallback) out[name] = fallback();
      continue;
    }
    out[name] = check(value, prefix + name, limits);
  }
  return out;
}

/**
 * Check a decoded map as a frame of `direction` ("server": sent by the server).
 * Returns a plain object with `type` first; throws ProtocolError.
 */
export function fromMap(raw, direction, limits = DEFAULT_LIMITS) {
  if (!isMap(raw)) throw new ProtocolError("bad_frame", "expected a msgpack map");
  const type = raw.type;
  if (typeof type !== "string") {
    throw new ProtocolError("bad_frame", "expected a map with a string 'type' key", "type");
  }
  const fields = Object.hasOwn(REGISTRIES[direction], type) ? REGISTRIES[direction][type] : null;
  if (fields === null) {
    throw new ProtocolError("unknown_type", "unknown frame type", "type");
  }
  try {
    return { type, ...checkFields(fields, raw, limits) };
  } catch (err) {
    if (err instanceof ProtocolError) err.ref = type;
    throw err;
  }
}

/** Decode the bytes of one binary WebSocket message into a checked frame. */
export function decodeFrame(bytes, direction = "server", limits = DEFAULT_LIMITS) {
  const data = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  if (data.length > limits.max_frame_bytes) {
    throw new ProtocolError(
      "too_large", `frame of ${data.length} bytes is over ${limits.max_frame_bytes}`,
    );
  }
  let raw;
  try {
    raw = decode(data, { keepFloats: true });
  } catch (err) {
    if (!(err instanceof MsgpackError)) throw err;
    throw new ProtocolError("bad_frame", `expected one msgpack map: ${err.message}`);
  }
  return fromMap(raw, direction, limits);
}

/** Nested schemas of list fields, so that their maps are written in table order too. */
const NESTED = { entries: QUEUE_ENTRY, items: RESOURCE_ITEM, sessions: SESSION_INFO };

function ordered(fields, obj) {
  const out = {};
  for (const key of [...Object.keys(fields), ...Object.keys(obj)]) {
    const value = obj[key];
    if (Object.hasOwn(out, key) || value === null || value === undefined) continue;
    out[key] = Array.isArray(value) && Object.hasOwn(NESTED, key) && Object.hasOwn(fields, key)
      ? value.map((item) => (isMap(item) ? ordered(NESTED[key], item) : item))
      : value;
  }
  return out;
}

/**
 * Encode a frame object ({type, ...fields}) as msgpack bytes, byte-exact with the
 * reference encoder (PROTOCOL.md, "Test vectors"): `type` first, then the fields
 * in table order, null and undefined ones left out, the shortest form of each value.
 */
export function encodeFrame(frame) {
  const { type } = frame;
  const fields = [CLIENT_FRAMES, SERVER_FRAMES].find((r) => Object.hasOwn(r, type))?.[type] || {};
  return encode({ type, ...ordered(fields, frame) });
}
