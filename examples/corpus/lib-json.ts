// Third-party code under check: assemblyscript-json (npm) parses and encodes a document.
// Correct: exit 0, no leak.
// expect: exit 0
import { JSON, JSONEncoder } from "assemblyscript-json/assembly/index";

export function main(): i32 {
  let doc = <JSON.Obj>JSON.parse('{"name":"rcalloc","tags":["wasm","refcount"],"version":1,"ok":true,"ratio":0.5}');
  let name = doc.getString("name");
  let tags = doc.getArr("tags");
  let version = doc.getInteger("version");
  let encoder = new JSONEncoder();
  encoder.pushObject(null);
  encoder.setString("tool", name ? name.valueOf() : "");
  encoder.setInteger("tags", tags ? tags.valueOf().length : 0);
  encoder.setInteger("version", version ? version.valueOf() : 0);
  encoder.popObject();
  let text = encoder.toString();
  return text.length;
}
