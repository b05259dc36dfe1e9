// AssemblyScript's standard library under check: String and its encodings (UTF-8, UTF-16),
// typed arrays, ArrayBuffer, DataView, Math, Date, number formatting and parsing.
// Everything it allocates is the runtime's (GC): exit 0, no leak. Needs the host imports
// rcalloc check gives by default (Math.random's seed, Date.now).
// expect: exit 0

export function main(): i32 {
  let text = "Grüße, 世界! rcalloc";
  let utf8 = String.UTF8.encode(text, true);
  let back = String.UTF8.decode(utf8, true);
  let utf16 = String.UTF16.encode(text);
  let again = String.UTF16.decode(utf16);
  let words = (back + " " + again).toUpperCase().split(" ");
  let joined = words.join("-").replaceAll("!", "?").padStart(48, "*").trim();
  let parsed = parseInt("ff", 16) + parseFloat("2.5") + I32.parseInt("-12");
  let formatted = (3.25).toString() + (<i64>1 << 40).toString() + (255).toString(16);

  let floats = new Float64Array(32);
  for (let i = 0; i < floats.length; i++) floats[i] = Math.sin(<f64>i) * Math.sqrt(<f64>i + 1);
  let ints = new Int32Array(32);
  for (let i = 0; i < ints.length; i++) ints[i] = <i32>Math.round(floats[i] * 100);
  let sorted = ints.slice(0).sort();
  let bytes = Uint8Array.wrap(ints.buffer, 4, 16);
  let view = new DataView(new ArrayBuffer(16));
  view.setFloat64(0, Math.PI, true);
  view.setUint32(8, 0xdeadbeef, false);
  let checks = view.getUint32(8, false) == 0xdeadbeef && Math.abs(view.getFloat64(0, true) - Math.PI) < 1e-12 ? 1 : 0;

  let random = Math.random();
  let now = Date.now();
  let date = new Date(86400000 * 365);
  let year = date.getUTCFullYear();

  return joined.length + <i32>parsed + formatted.length + sorted[0] + bytes.length + checks
    + (random >= 0 && random < 1 ? 1 : 0) + (now > 0 ? 1 : 0) + year - 1971;
}
