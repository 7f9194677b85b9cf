import { randomUUID } from 'node:crypto';
import { jsonEncoder } from '@trpc/server/adapters/ws';

/**
 * Fan-out without re-encoding: a chat event goes to every subscribed phone, and `JSON.stringify` of the same
 * envelope once per socket was most of the cost of a 50-subscriber flood. An envelope is encoded once (cached
 * per object, and live envelopes are one object shared by every subscriber), a batch is the encoded envelopes
 * joined, and `preEncodedJsonEncoder` splices that text into the tRPC message instead of encoding it again.
 *
 * Anything else that serialises a `PreEncodedJson` (another encoder, a test's plain tRPC handler) gets the
 * parsed value from `toJSON`, so the wire content is the same either way.
 */

// Unguessable, so no event text can forge it; JSON.stringify writes it as this exact quoted string.
const TOKEN = `\u0000band-pre-encoded-${randomUUID()}\u0000`;
const ENCODED_TOKEN = JSON.stringify(TOKEN);

/** Values found by the encoder in the message it is encoding (set only during its `JSON.stringify`). */
let collecting: PreEncodedJson[] | undefined;

export class PreEncodedJson {
  readonly json: string;
  constructor(json: string) {
    this.json = json;
  }
  toJSON(): unknown {
    if (!collecting) return JSON.parse(this.json);
    collecting.push(this);
    return TOKEN;
  }
}

const encodedObjects = new WeakMap<object, string>();

/** `JSON.stringify(value)`, cached for the object's lifetime (the object must not change afterwards). */
export function encodeOnce(value: object): string {
  let json = encodedObjects.get(value);
  if (json === undefined) {
    json = JSON.stringify(value);
    encodedObjects.set(value, json);
  }
  return json;
}

/** `{ [key]: items }` as pre-encoded JSON, each item encoded once however many sockets it goes to. */
export function preEncodedList(key: string, items: readonly object[]): PreEncodedJson {
  let json = `{${JSON.stringify(key)}:[`;
  for (let i = 0; i < items.length; i++) json += (i === 0 ? '' : ',') + encodeOnce(items[i]!);
  return new PreEncodedJson(`${json}]}`);
}

/** The tRPC WebSocket encoder (JSON text frames, like tRPC's own) that splices `PreEncodedJson` in. */
export const preEncodedJsonEncoder: typeof jsonEncoder = {
  encode(data) {
    const found: PreEncodedJson[] = [];
    collecting = found;
    let text: string;
    try {
      text = JSON.stringify(data);
    } finally {
      collecting = undefined;
    }
    if (found.length === 0) return text;
    const parts = text.split(ENCODED_TOKEN);
    let out = parts[0]!;
    for (let i = 1; i < parts.length; i++) out += found[i - 1]!.json + parts[i]!;
    return out;
  },
  decode: jsonEncoder.decode,
};
