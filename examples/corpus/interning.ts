// A string interning table that lives as long as the program: its entries are kept on purpose
// and marked with ignore(), so they are not leaks. Looks like a leak; is not. exit 0.
// expect: exit 0
import { alloc, ignore, ptr, size } from "rcalloc/runtime/imports";

const table = new Map<string, u32>();

function intern(text: string): u32 {
  if (table.has(text)) return table.get(text);
  let bytes = <u32>text.length << 1;
  let h = alloc(bytes);
  memory.copy(ptr(h), changetype<usize>(text), bytes);
  ignore(h); // lives until the program ends
  table.set(text, h);
  return h;
}

export function main(): u32 {
  let words = "the cat and the hat and the bat".split(" ");
  let total: u32 = 0;
  for (let i = 0; i < words.length; i++) total += size(intern(words[i]));
  return total + <u32>table.size;
}
