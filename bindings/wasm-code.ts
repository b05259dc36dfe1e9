// Decoding a wasm function body instruction by instruction, for the structure of its code: where
// each block / loop / if / try starts and ends. wasm-sites.ts asks which of them hold a call
// (the block AssemblyScript inlined a call into). Every opcode asc emits (MVP, sign extension,
// saturating conversions, bulk memory, reference types, SIMD and relaxed SIMD, threads,
// exceptions, tail calls) is decoded; anything else ends the walk with an "unknown opcode"
// result, never a guess: a wrong immediate's length would shift every offset after it.
//
// A body in the binary:
//
//   size | locals: count (n, type)* | instructions ... | end (0x0b)
//   ^ function section's range starts after `size` (wasm-reader.ts functionBodies)
//
// A structured instruction and its range here:
//
//   block bt ... (nested) ... end
//   ^ start                   ^ end (offset of its `end` opcode; `else` and `catch` stay inside)

export type StructureOp = "block" | "loop" | "if" | "try" | "try_table";

export interface Structure {
  op: StructureOp;
  /** Offset of the opcode in the module's binary. */
  start: number;
  /** Offset of its `end` (or `delegate`) opcode. */
  end: number;
}

export type DecodedBody =
  | { ok: true; structures: Structure[]; instructions: number[] }
  | { ok: false; reason: string; offset: number };

const STRUCTURES: Record<number, StructureOp> = { 0x02: "block", 0x03: "loop", 0x04: "if", 0x06: "try", 0x1f: "try_table" };

class Cursor {
  constructor(readonly bytes: Uint8Array, public pos: number, readonly end: number) {}
  byte(): number {
    if (this.pos >= this.end) throw new RangeError("the body ends inside an instruction");
    return this.bytes[this.pos++];
  }
  /** Any LEB128 (signed or not, any width): only its length matters here. */
  leb(): number {
    let value = 0, scale = 1, b: number;
    do {
      b = this.byte();
      value += (b & 0x7f) * scale;
      scale *= 128;
    } while (b & 0x80);
    return value;
  }
  skip(n: number): void {
    if (this.pos + n > this.end) throw new RangeError("the body ends inside an instruction");
    this.pos += n;
  }
  /** A heap type (s33) after a reference type's 0x63 / 0x64 prefix. */
  valueType(): void {
    const b = this.byte();
    if (b === 0x63 || b === 0x64) this.leb();
  }
  /** Block type: 0x40 (none), a value type, or a type index (s33). */
  blockType(): void {
    const b = this.bytes[this.pos];
    if (b === 0x63 || b === 0x64) this.valueType();
    else this.leb();
  }
  /** memarg: alignment (bit 6: a memory index follows), then the offset. */
  memarg(): void {
    const align = this.leb();
    if (align & 0x40) this.leb();
    this.leb();
  }
}

/** Reads the immediates of a non-structured opcode; false when the opcode is not known here. */
function immediates(op: number, c: Cursor): boolean {
  if (op >= 0x28 && op <= 0x3e) { c.memarg(); return true; }            // loads, stores
  if (op >= 0x45 && op <= 0xc4) return true;                             // numeric, sign extension
  switch (op) {
    case 0x00: case 0x01: case 0x05: case 0x0a: case 0x0f: case 0x19: case 0x1a: case 0x1b:
    case 0xd1: case 0xd3: case 0xd4:
      return true;                                                       // no immediate
    case 0x07: case 0x08: case 0x09: case 0x0c: case 0x0d: case 0x10: case 0x12: case 0x14: case 0x15:
    case 0x20: case 0x21: case 0x22: case 0x23: case 0x24: case 0x25: case 0x26:
    case 0x3f: case 0x40: case 0x41: case 0x42: case 0xd0: case 0xd2: case 0xd5: case 0xd6:
      c.leb(); return true;                                              // one index or constant
    case 0x11: case 0x13: c.leb(); c.leb(); return true;                 // call_indirect: type, table
    case 0x0e: for (let n = c.leb(); n >= 0; n--) c.leb(); return true;  // br_table: labels, default
    case 0x1c: for (let n = c.leb(); n > 0; n--) c.valueType(); return true; // select t*
    case 0x43: c.skip(4); return true;
    case 0x44: c.skip(8); return true;
    case 0xfc: return prefixedFC(c.leb(), c);
    case 0xfd: return prefixedFD(c.leb(), c);
    case 0xfe: return prefixedFE(c.leb(), c);
  }
  return false;
}

/** 0xFC: saturating truncations (0-7), bulk memory and table operations (8-17). */
function prefixedFC(sub: number, c: Cursor): boolean {
  if (sub <= 7) return true;
  switch (sub) {
    case 8: case 10: case 12: case 14: c.leb(); c.leb(); return true; // memory.init, memory.copy, table.init, table.copy
    case 9: case 11: case 13: case 15: case 16: case 17: c.leb(); return true;
  }
  return false;
}

/** 0xFD: SIMD (0-255) and relaxed SIMD (256-275). */
function prefixedFD(sub: number, c: Cursor): boolean {
  if (sub <= 11 || sub === 92 || sub === 93) c.memarg();                 // loads, store, load_zero
  else if (sub === 12 || sub === 13) c.skip(16);                         // v128.const, i8x16.shuffle
  else if (sub >= 21 && sub <= 34) c.skip(1);                            // extract / replace lane
  else if (sub >= 84 && sub <= 91) { c.memarg(); c.skip(1); }            // load / store lane
  else if (sub > 275) return false;
  return true;
}

/** 0xFE: threads (notify, waits, fence, atomic loads, stores and read-modify-writes). */
function prefixedFE(sub: number, c: Cursor): boolean {
  if (sub === 0x03) { c.skip(1); return true; }                          // atomic.fence 0x00
  if (sub <= 0x02 || (sub >= 0x10 && sub <= 0x4e)) { c.memarg(); return true; }
  return false;
}

/** Why a body could not be read to its end, and where. */
interface Unreadable { reason: string; offset: number }

/**
 * Walks the function body at [start, end) of `bytes` (wasm-reader.ts functionBodies): calls
 * `visit` with each instruction's opcode, its offset and the nesting change (+1 a structure opens,
 * -1 its end), after reading its immediates; a `true` from `visit` stops the walk. Returns why the
 * body could not be read to its end (undefined: read, or stopped).
 */
function walk(bytes: Uint8Array, start: number, end: number, visit: (op: number, at: number, nesting: -1 | 0 | 1) => boolean | void): Unreadable | undefined {
  const c = new Cursor(bytes, start, end);
  let depth = 0;
  let at = start;
  try {
    for (let groups = c.leb(); groups > 0; groups--) { c.leb(); c.valueType(); }
    while (c.pos < end) {
      at = c.pos;
      const op = c.byte();
      if (STRUCTURES[op]) {
        c.blockType();
        if (op === 0x1f) {                                               // try_table: catch clauses
          for (let n = c.leb(); n > 0; n--) { const kind = c.byte(); if (kind < 2) c.leb(); c.leb(); }
        }
        depth++;
        if (visit(op, at, 1)) return undefined;
      } else if (op === 0x0b || op === 0x18) {                           // end, delegate (label)
        if (op === 0x18) c.leb();
        if (depth === 0) return c.pos === end ? undefined : { reason: "code after the body's end", offset: c.pos };
        depth--;
        if (visit(op, at, -1)) return undefined;
      } else if (!immediates(op, c)) {
        return { reason: `unknown opcode 0x${op.toString(16)}${op >= 0xfb ? " (prefixed)" : ""}`, offset: at };
      } else if (visit(op, at, 0)) {
        return undefined;
      }
    }
    return { reason: "the body has no final end", offset: at };
  } catch (e) {
    return { reason: (e as Error).message, offset: at };
  }
}

/**
 * The structures of the function body at [start, end) of `bytes` (wasm-reader.ts functionBodies)
 * and the offset of every instruction, or why it could not be read to its end.
 */
export function decodeBody(bytes: Uint8Array, start: number, end: number): DecodedBody {
  const structures: Structure[] = [];
  const instructions: number[] = [];
  const open: Structure[] = [];
  const failed = walk(bytes, start, end, (op, at, nesting) => {
    instructions.push(at);
    if (nesting === 1) {
      const s: Structure = { op: STRUCTURES[op], start: at, end: -1 };
      structures.push(s);
      open.push(s);
    } else if (nesting === -1) {
      open.pop()!.end = at;
    }
  });
  if (failed) return { ok: false, ...failed };
  instructions.push(end - 1);                                            // the body's final end
  return { ok: true, structures, instructions };
}

/** Whether the body at [start, end) of `bytes` holds a memory.grow (false if it cannot be read). */
export function growsMemory(bytes: Uint8Array, start: number, end: number): boolean {
  let found = false;
  walk(bytes, start, end, (op) => (found = op === 0x40));
  return found;
}

/** The function index a `call` at `offset` of `bytes` calls; undefined for any other opcode. */
export function callee(bytes: Uint8Array, offset: number): number | undefined {
  if (bytes[offset] !== 0x10) return undefined;
  const c = new Cursor(bytes, offset + 1, bytes.length);
  try { return c.leb(); } catch { return undefined; }
}

/** The structures of a decoded body that hold the instruction at `offset`, innermost first;
 *  undefined when no instruction starts there (then the body and the offset disagree). */
export function enclosing(body: Extract<DecodedBody, { ok: true }>, offset: number): Structure[] | undefined {
  if (indexOf(body.instructions, offset) < 0) return undefined;
  return body.structures.filter((s) => s.start < offset && offset < s.end).reverse();
}

/** Offset of the instruction after the one at `offset` in a decoded body (undefined: none). */
export function after(body: Extract<DecodedBody, { ok: true }>, offset: number): number | undefined {
  const i = indexOf(body.instructions, offset);
  return i < 0 ? undefined : body.instructions[i + 1];
}

function indexOf(sorted: number[], value: number): number {
  let lo = 0, hi = sorted.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid] === value) return mid;
    if (sorted[mid] < value) lo = mid + 1; else hi = mid - 1;
  }
  return -1;
}
