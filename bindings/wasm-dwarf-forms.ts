// Reading DWARF's encodings, for the line table (wasm-dwarf.ts) and .debug_info (wasm-dwarf-inlines.ts):
// bytes and LEB128s (Cursor), a unit's abbreviation table, and attribute values by their forms
// (FormReader), DWARF 5's indexes into .debug_str_offsets, .debug_addr and .debug_rnglists with them.

/** A module's DWARF sections by name (".debug_line", ".debug_info" ...). */
export type DwarfSections = Map<string, Uint8Array>;

/** A string kept where it lies, read when asked for: >= 0 an offset in .debug_str, < 0 -(1 +
 *  offset) of an inline string in .debug_info. */
export type StringAt = number;

const UTF8 = new TextDecoder();

/** The string a StringAt points at (undefined: its section is missing). */
export function stringAt(sections: DwarfSections, at: StringAt): string | undefined {
  const bytes = sections.get(at < 0 ? ".debug_info" : ".debug_str");
  return bytes && new Cursor(bytes, at < 0 ? -1 - at : at).cstring();
}

/** Little-endian reads and LEB128s over a byte array. */
export class Cursor {
  constructor(private readonly bytes: Uint8Array, public pos: number) {}
  /** Bytes after the position. */
  left(): number { return this.bytes.length - this.pos; }
  /** A cursor over the same bytes at `pos`. */
  at(pos: number): Cursor { return new Cursor(this.bytes, pos); }
  /** Reads a unit's 32-bit length (.debug_info, .debug_line): the offset the unit ends at, or -1
   *  for 64-bit DWARF, which no wasm32 producer writes. */
  unitEnd(): number {
    const length = this.u32();
    return length >= 0xfffffff0 ? -1 : this.pos + length;
  }
  u8(): number { return this.bytes[this.pos++]; }
  u16(): number { return this.u8() | (this.u8() << 8); }
  u32(): number { return (this.u8() | (this.u8() << 8) | (this.u8() << 16) | (this.u8() << 24)) >>> 0; }
  uleb(): number { return this.leb(false); }
  sleb(): number { return this.leb(true); }
  private leb(signed: boolean): number {
    const first = this.bytes[this.pos];
    if (first < 0x40) { this.pos++; return first; } // most are one byte, positive: no float arithmetic
    let result = 0, shift = 0, byte: number;
    do {
      byte = this.u8();
      result += (byte & 0x7f) * 2 ** shift;
      shift += 7;
    } while (byte & 0x80);
    return signed && byte & 0x40 ? result - 2 ** shift : result;
  }
  cstring(): string {
    const start = this.pos;
    while (this.pos < this.bytes.length && this.bytes[this.pos] !== 0) this.pos++;
    return UTF8.decode(this.bytes.subarray(start, this.pos++));
  }
}

/** The compile and partial units of .debug_info, each with a FormReader at its first DIE and its
 *  abbreviation table; a unit of a version or kind this reader does not know is skipped. Each
 *  unit's reading ends at its end, wherever the caller left it.
 *
 *   unit header  length (4), version (2), then
 *     version 2-4: abbrev offset (4), address size (1)
 *     version 5:   unit type (1), address size (1), abbrev offset (4): a compile or partial unit */
export function* units(sections: DwarfSections): Generator<{ form: FormReader; table: Map<number, Abbrev> }> {
  const info = sections.get(".debug_info"), abbrev = sections.get(".debug_abbrev");
  if (!info || !abbrev) return;
  const abbrevs = new Map<string, Map<number, Abbrev>>();
  const r = new Cursor(info, 0);
  while (r.pos + 11 <= info.length) {
    const unitStart = r.pos;
    const unitEnd = r.unitEnd();
    if (unitEnd < 0) break;
    const version = r.u16();
    let unitType = 1, addressSize: number, abbrevOffset: number;
    if (version >= 5) {
      unitType = r.u8();
      addressSize = r.u8();
      abbrevOffset = r.u32();
    } else {
      abbrevOffset = r.u32();
      addressSize = r.u8();
    }
    if (unitEnd <= info.length && version >= 2 && version <= 5 && (unitType === 1 || unitType === 3)) {
      const key = `${abbrevOffset}:${version}:${addressSize}`;
      let table = abbrevs.get(key);
      if (!table) abbrevs.set(key, table = abbrevTable(abbrev, abbrevOffset, version, addressSize));
      yield { form: new FormReader(r, unitStart, unitEnd, version, addressSize, sections), table };
    }
    r.pos = unitEnd;
  }
}

/** An abbreviation: its tag, whether its DIEs have children, and (attribute, form, implicit
 *  constant) triples. */
export interface Abbrev {
  tag: number;
  children: boolean;
  attributes: number[];
  /** Bytes of a DIE's attributes when every form has a fixed size, else -1: a DIE of a tag this
   *  reader keeps nothing of (a variable, a type ...: most of them) is then stepped over at once. */
  size: number;
}

/** The abbreviation table at `offset` of .debug_abbrev, for units of `version` and `addressSize`. */
function abbrevTable(section: Uint8Array, offset: number, version: number, addressSize: number): Map<number, Abbrev> {
  const table = new Map<number, Abbrev>();
  const r = new Cursor(section, offset);
  while (r.pos < section.length) {
    const code = r.uleb();
    if (code === 0) break;
    const tag = r.uleb();
    const children = r.u8() === 1;
    const attributes: number[] = [];
    let size = 0;
    for (;;) {
      const name = r.uleb(), form = r.uleb();
      if (name === 0 && form === 0) break;
      attributes.push(name, form, form === FORM_IMPLICIT_CONST ? r.sleb() : 0);
      const bytes = form === 0x01 || (form === 0x10 && version <= 2) ? addressSize : FORM_SIZES[form] ?? -1;
      size = size < 0 || bytes < 0 ? -1 : size + bytes;
    }
    table.set(code, { tag, children, attributes, size });
  }
  return table;
}

/** The attributes of a DIE this reader keeps. */
export interface Die {
  name?: StringAt;
  /** A compile unit's folder (DW_AT_comp_dir): its line table's relative paths are from there;
   *  by index (strx) until resolve(). */
  compDir?: StringAt;
  compDirIndex?: boolean;
  origin?: number;
  lowPc?: number;
  highPc?: number;
  highPcIsAddress?: boolean;
  ranges?: number;
  stmtList?: number;
  callFile?: number;
  callLine?: number;
  callColumn?: number;
  /** DWARF 5: low_pc, high_pc and ranges given as indexes (addrx, rnglistx), resolved once the
   *  unit's bases are known (resolve()), and the unit's bases, on its compile unit DIE. */
  lowPcIndex?: boolean;
  highPcIndex?: boolean;
  rangesIndex?: boolean;
  strOffsetsBase?: number;
  addrBase?: number;
  rnglistsBase?: number;
}

const FORM_IMPLICIT_CONST = 0x21;
/** Sizes of the forms of a fixed size (addr and a version 2 ref_addr: the unit's address size). */
const FORM_SIZES: Record<number, number> = {
  0x0b: 1, 0x11: 1, 0x0c: 1, 0x05: 2, 0x12: 2, 0x06: 4, 0x13: 4, 0x17: 4, 0x0e: 4, 0x1c: 4, 0x1d: 4, 0x1f: 4, 0x10: 4,
  0x07: 8, 0x14: 8, 0x20: 8, 0x24: 8, 0x19: 0, 0x21: 0, 0x1e: 16,
  0x25: 1, 0x26: 2, 0x27: 3, 0x28: 4, 0x29: 1, 0x2a: 2, 0x2b: 3, 0x2c: 4, // strx1-4, addrx1-4
};
export const AT = {
  name: 0x03, stmtList: 0x10, compDir: 0x1b, lowPc: 0x11, highPc: 0x12, origin: 0x31, specification: 0x47, ranges: 0x55, callColumn: 0x57,
  callFile: 0x58, callLine: 0x59, strOffsetsBase: 0x72, addrBase: 0x73, rnglistsBase: 0x74,
};

/** Reads (or skips) one attribute's value by its form, keeping those of Die, and resolves a DIE's
 *  code ranges, in one unit. DWARF 5 gives strings, addresses and range lists as indexes into
 *  tables of their own, from the unit's bases:
 *
 *   .debug_str_offsets  [str_offsets_base + 4 i]   -> offset in .debug_str
 *   .debug_addr         [addr_base + size i]       -> address
 *   .debug_rnglists     [rnglists_base + 4 i]      -> offset of a list, from rnglists_base
 */
export class FormReader {
  private strOffsetsBase = 8;
  private addrBase = 8;
  private rnglistsBase = 12;

  constructor(readonly r: Cursor, readonly unitStart: number, readonly unitEnd: number, private readonly version: number,
    private readonly addressSize: number, private readonly sections: DwarfSections) {}

  /** A reader of the same unit at `pos` (a DIE read out of order), with the bases read so far. */
  at(pos: number): FormReader {
    const form = new FormReader(this.r.at(pos), this.unitStart, this.unitEnd, this.version, this.addressSize, this.sections);
    form.strOffsetsBase = this.strOffsetsBase;
    form.addrBase = this.addrBase;
    form.rnglistsBase = this.rnglistsBase;
    return form;
  }

  /** Reads every attribute of a DIE of abbreviation `a` into `d` (those it keeps): false when a form
   *  is one this reader does not know, the cursor then lost within the unit. */
  readDie(a: Abbrev, d: Die): boolean {
    try {
      for (let i = 0; i < a.attributes.length; i += 3) this.read(a.attributes[i], a.attributes[i + 1], a.attributes[i + 2], d);
      return true;
    } catch (e) {
      if (e instanceof RangeError) return false;
      throw e;
    }
  }

  read(attribute: number, form: number, implicit: number, d: Die): void {
    if (form === 0x16) return this.read(attribute, this.r.uleb(), implicit, d); // indirect: the form first
    const value = this.value(form, implicit);
    if (value === undefined) return;
    if (form === 0x08) { // string: where it lies
      if (attribute === AT.name) d.name = value;
      else if (attribute === AT.compDir) d.compDir = value;
      return;
    }
    const addressIndex = form === 0x1b || (form >= 0x29 && form <= 0x2c);
    switch (attribute) {
      case AT.name:
        if (form === 0x0e) d.name = value;
        else if (form === 0x1a || (form >= 0x25 && form <= 0x28)) d.name = this.stringOffset(value); // the unit's base is known: its DIE came first
        break;
      case AT.compDir: // on the unit's DIE, maybe before its str_offsets_base: an index is read in resolve()
        if (form === 0x0e) d.compDir = value;
        else if (form === 0x1a || (form >= 0x25 && form <= 0x28)) { d.compDir = value; d.compDirIndex = true; }
        break;
      case AT.origin: case AT.specification: d.origin = form === 0x10 ? value : this.unitStart + value; break;
      case AT.lowPc: d.lowPc = value; d.lowPcIndex = addressIndex; break;
      case AT.highPc: d.highPc = value; d.highPcIsAddress = form === 0x01 || addressIndex; d.highPcIndex = addressIndex; break;
      case AT.ranges: d.ranges = value; d.rangesIndex = form === 0x23; break;
      case AT.stmtList: d.stmtList = value; break;
      case AT.callFile: d.callFile = value; break;
      case AT.callLine: d.callLine = value; break;
      case AT.callColumn: d.callColumn = value; break;
      case AT.strOffsetsBase: d.strOffsetsBase = value; break;
      case AT.addrBase: d.addrBase = value; break;
      case AT.rnglistsBase: d.rnglistsBase = value; break;
    }
  }

  /** The value of an attribute of `form` at the cursor, read past: a number (an offset, an index,
   *  a constant), a string of the form string as where it lies (a StringAt, -(1 + offset)), or
   *  undefined for a block or data16 (skipped). A form this reader does not know: RangeError. */
  value(form: number, implicit: number): number | undefined {
    const r = this.r;
    switch (form) {
      case 0x01: return this.address(); // addr
      case 0x0b: case 0x11: case 0x25: case 0x29: return r.u8(); // data1, ref1, strx1, addrx1
      case 0x05: case 0x12: case 0x26: case 0x2a: return r.u16(); // data2, ref2, strx2, addrx2
      case 0x27: case 0x2b: return r.u16() | (r.u8() << 16); // strx3, addrx3
      case 0x06: case 0x13: case 0x17: case 0x0e: case 0x1c: case 0x1d: case 0x1f: case 0x28: case 0x2c:
        return r.u32(); // data4, ref4, sec_offset, strp, ref_sup4, strp_sup, line_strp, strx4, addrx4
      case 0x07: case 0x14: case 0x20: case 0x24: return r.u32() + r.u32() * 2 ** 32; // data8, ref8, ref_sig8, ref_sup8
      case 0x0d: return r.sleb(); // sdata
      case 0x0f: case 0x15: case 0x1a: case 0x1b: case 0x22: case 0x23: return r.uleb(); // udata, ref_udata, strx, addrx, loclistx, rnglistx
      case 0x10: return this.version <= 2 ? this.address() : r.u32(); // ref_addr
      case 0x0c: return r.u8(); // flag
      case 0x19: return 1; // flag_present
      case 0x21: return implicit;
      case 0x08: { // string
        const at = r.pos;
        while (r.pos < this.unitEnd && r.u8() !== 0) { /* to the NUL */ }
        return -1 - at;
      }
      // a block's length is read before its start is known (`r.pos += r.u16()` would add to the old pos)
      case 0x03: { const n = r.u16(); r.pos += n; return undefined; } // block2
      case 0x04: { const n = r.u32(); r.pos += n; return undefined; } // block4
      case 0x09: case 0x18: { const n = r.uleb(); r.pos += n; return undefined; } // block, exprloc
      case 0x0a: { const n = r.u8(); r.pos += n; return undefined; } // block1
      case 0x1e: r.pos += 16; return undefined; // data16
      case 0x16: return this.value(r.uleb(), implicit); // indirect
      default:
        throw new RangeError(`DWARF form 0x${form.toString(16)} in a version ${this.version} unit`);
    }
  }

  /** Takes the unit's bases from its compile unit DIE, then turns a DIE's address and range list
   *  indexes into addresses and offsets. */
  resolve(d: Die, unit: boolean): void {
    if (unit) {
      this.strOffsetsBase = d.strOffsetsBase ?? this.strOffsetsBase;
      this.addrBase = d.addrBase ?? this.addrBase;
      this.rnglistsBase = d.rnglistsBase ?? this.rnglistsBase;
      if (d.compDirIndex && d.compDir !== undefined) d.compDir = this.stringOffset(d.compDir);
    }
    if (d.lowPcIndex && d.lowPc !== undefined) d.lowPc = this.indexedAddress(d.lowPc);
    if (d.highPcIndex && d.highPc !== undefined) d.highPc = this.indexedAddress(d.highPc);
    if (d.rangesIndex && d.ranges !== undefined) {
      const offsets = this.sections.get(".debug_rnglists");
      d.ranges = offsets ? this.rnglistsBase + new Cursor(offsets, this.rnglistsBase + 4 * d.ranges).u32() : undefined;
    }
  }

  /** A DIE's code ranges, flat (start, end, ...): low_pc and high_pc, or its DW_AT_ranges list
   *  (.debug_ranges up to version 4, .debug_rnglists in 5). wasm-ld points code it dropped at
   *  address 0 or a tombstone (-1, -2): none. */
  pcRanges(d: Die, base: number): number[] {
    const out: number[] = [];
    const add = (start: number, end: number) => {
      if (start > 0 && start < 0xfffffff0 && end > start) out.push(start, end);
    };
    if (d.lowPc !== undefined && d.highPc !== undefined) add(d.lowPc, d.highPcIsAddress ? d.highPc : d.lowPc + d.highPc);
    else if (d.ranges !== undefined && this.version <= 4) {
      //   .debug_ranges: (start, end) pairs from the unit's base, until (0, 0); (-1, b): base b
      const ranges = this.sections.get(".debug_ranges");
      const r = new Cursor(ranges ?? new Uint8Array(), d.ranges);
      while (ranges && r.pos + 8 <= ranges.length) {
        const start = r.u32(), end = r.u32();
        if (start === 0 && end === 0) break;
        if (start === 0xffffffff) base = end;
        else add(base + start, base + end);
      }
    } else if (d.ranges !== undefined) {
      //   .debug_rnglists: entries of a kind byte, until end_of_list (0)
      const lists = this.sections.get(".debug_rnglists");
      const r = new Cursor(lists ?? new Uint8Array(), d.ranges);
      while (lists && r.pos < lists.length) {
        const kind = r.u8();
        if (kind === 0) break; // end_of_list
        if (kind === 1) base = this.indexedAddress(r.uleb()); // base_addressx
        else if (kind === 2) { const s = this.indexedAddress(r.uleb()); add(s, this.indexedAddress(r.uleb())); } // startx_endx
        else if (kind === 3) { const s = this.indexedAddress(r.uleb()); add(s, s + r.uleb()); } // startx_length
        else if (kind === 4) { const s = r.uleb(); add(base + s, base + r.uleb()); } // offset_pair
        else if (kind === 5) base = this.address(); // base_address
        else if (kind === 6) { const s = this.address(); add(s, this.address()); } // start_end
        else if (kind === 7) { const s = this.address(); add(s, s + r.uleb()); } // start_length
        else break;
      }
    }
    return out;
  }

  private stringOffset(index: number): number | undefined {
    const offsets = this.sections.get(".debug_str_offsets");
    return offsets ? new Cursor(offsets, this.strOffsetsBase + 4 * index).u32() : undefined;
  }

  private indexedAddress(index: number): number {
    const addresses = this.sections.get(".debug_addr");
    if (!addresses) return 0;
    const r = new Cursor(addresses, this.addrBase + this.addressSize * index);
    return this.addressSize === 8 ? r.u32() + r.u32() * 2 ** 32 : r.u32();
  }

  private address(): number {
    return this.addressSize === 8 ? this.r.u32() + this.r.u32() * 2 ** 32 : this.r.u32();
  }
}
