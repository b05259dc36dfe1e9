// A strings-and-Maps workload, as an ordinary AssemblyScript program (no allocator calls of its
// own; bench/as-programs.js builds it for every runtime): words made by concatenation and
// number formatting, counted in a Map<string, i32>, grouped in a Map<i32, string[]> by length,
// then the keys sorted and joined. Every run starts from nothing and leaves garbage only.
//
// run(words): returns a checksum of the result (the same on every runtime).

let seed: u32 = 1;
function random(): u32 {
  seed = seed * 1664525 + 1013904223;
  return seed >>> 8;
}

const SYLLABLES = ["ka", "lo", "mi", "ne", "ru", "sa", "to", "vi", "ze", "qu", "ph", "str"];

function word(): string {
  let w = "";
  let n = 1 + <i32>(random() % 4);
  for (let i = 0; i < n; i++) w += SYLLABLES[<i32>(random() % <u32>SYLLABLES.length)];
  return random() % 8 == 0 ? w + (random() % 100).toString() : w;
}

export function run(words: i32): u32 {
  seed = 1;
  let counts = new Map<string, i32>();
  for (let i = 0; i < words; i++) {
    let w = word();
    counts.set(w, counts.has(w) ? counts.get(w) + 1 : 1);
  }
  let byLength = new Map<i32, string[]>();
  let keys = counts.keys();
  for (let i = 0; i < keys.length; i++) {
    let k = keys[i];
    if (!byLength.has(k.length)) byLength.set(k.length, []);
    byLength.get(k.length).push(k);
  }
  keys.sort();
  let joined = keys.join(",");
  let sum: u32 = <u32>joined.length;
  let lengths = byLength.keys();
  for (let i = 0; i < lengths.length; i++) sum = sum * 31 + <u32>byLength.get(lengths[i]).length;
  for (let i = 0; i < keys.length; i += 7) sum = sum * 31 + <u32>counts.get(keys[i]);
  return sum;
}
