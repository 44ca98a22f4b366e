import type { UpdateShape } from './doc-limits.ts';

/**
 * The shape of a Yjs v1 update (how many structs and delete ranges it holds, as `shapeOf(Y.decodeUpdate(update))`
 * counts them) read by walking its bytes, without building a struct or a content object: a room's load counts its
 * stored state before applying it (doc-limits.ts: checkLoad), and decoding a 4 MB board in full only to count it
 * cost as much as a third of the load, most of it garbage. Throws on anything it cannot walk (truncated,
 * an unknown content kind): the caller then falls back to Y.decodeUpdate, which says what is wrong.
 */
export function updateShape(update: Uint8Array): UpdateShape {
  let pos = 0;
  const byte = (): number => {
    if (pos >= update.length) throw new RangeError('update ends early');
    return update[pos++];
  };
  const skip = (bytes: number): void => {
    if (bytes < 0 || pos + bytes > update.length) throw new RangeError('update ends early');
    pos += bytes;
  };
  const varUint = (): number => {
    let value = 0;
    let scale = 1;
    for (;;) {
      const b = byte();
      value += (b & 0x7f) * scale;
      if (b < 0x80) return value;
      scale *= 128;
      if (scale > 2 ** 53) throw new RangeError('integer too large');
    }
  };
  const skipVarInt = (): void => {
    while (byte() & 0x80);
  };
  const skipString = (): void => skip(varUint());
  const skipId = (): void => {
    varUint();
    varUint();
  };
  // lib0's `writeAny`: one tag byte (127 undefined … 116 Uint8Array), then the value.
  const skipAny = (depth: number): void => {
    if (depth > 1_000) throw new RangeError('value nested too deeply');
    const tag = byte();
    switch (tag) {
      case 127: // undefined
      case 126: // null
      case 121: // false
      case 120: // true
        return;
      case 125: // integer
        return skipVarInt();
      case 124: // float32
        return skip(4);
      case 123: // float64
      case 122: // bigint64
        return skip(8);
      case 119: // string
      case 116: // Uint8Array
        return skipString();
      case 118: {
        // object
        const entries = varUint();
        for (let i = 0; i < entries; i++) {
          skipString();
          skipAny(depth + 1);
        }
        return;
      }
      case 117: {
        // array
        const length = varUint();
        for (let i = 0; i < length; i++) skipAny(depth + 1);
        return;
      }
      default:
        throw new RangeError(`unknown value tag ${tag}`);
    }
  };
  // Yjs' readItemContent, by the low five bits of a struct's info byte.
  const skipContent = (kind: number): void => {
    switch (kind) {
      case 1: // deleted: a length
        varUint();
        return;
      case 2: {
        // JSON: strings
        const length = varUint();
        for (let i = 0; i < length; i++) skipString();
        return;
      }
      case 3: // binary
      case 4: // string
      case 5: // embed (JSON text)
        return skipString();
      case 6: // format: key and JSON text
        skipString();
        return skipString();
      case 7: {
        // type: its ref, and a node name for XML elements (3) and hooks (5)
        const ref = varUint();
        if (ref === 3 || ref === 5) skipString();
        return;
      }
      case 8: {
        // any: values
        const length = varUint();
        for (let i = 0; i < length; i++) skipAny(0);
        return;
      }
      case 9: // subdocument: guid and options
        skipString();
        return skipAny(0);
      default:
        throw new RangeError(`unknown content kind ${kind}`);
    }
  };

  let structs = 0;
  const clients = varUint();
  for (let c = 0; c < clients; c++) {
    const count = varUint();
    structs += count;
    varUint(); // client
    varUint(); // first clock
    for (let s = 0; s < count; s++) {
      const info = byte();
      const kind = info & 0x1f;
      if (kind === 0) {
        varUint(); // GC: a length
        continue;
      }
      if (kind === 10) {
        if (info !== 10) throw new RangeError(`unknown struct info ${info}`);
        varUint(); // skip: a length
        continue;
      }
      if (info & 0x80) skipId(); // origin
      if (info & 0x40) skipId(); // right origin
      if ((info & 0xc0) === 0) {
        // no origin on either side: the parent is named, by a root type key or an item id; then an optional map key
        if (varUint() === 1) skipString();
        else skipId();
        if (info & 0x20) skipString();
      }
      skipContent(kind);
    }
  }
  let deleteRanges = 0;
  const deleteClients = varUint();
  for (let c = 0; c < deleteClients; c++) {
    varUint(); // client
    const ranges = varUint();
    deleteRanges += ranges;
    for (let r = 0; r < ranges; r++) {
      varUint();
      varUint();
    }
  }
  return { structs, deleteRanges };
}
