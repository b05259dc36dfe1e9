// A browser Web Worker of the threads tests (a module worker; worker-core.js does the work).
import * as api from "../../dist/browser.js";
import { serve } from "./worker-core.js";

const inbox = [];
let waiting;
self.onmessage = ({ data }) => {
  if (waiting) waiting(data), (waiting = undefined);
  else inbox.push(data);
};
const receive = () => (inbox.length ? Promise.resolve(inbox.shift()) : new Promise((resolve) => (waiting = resolve)));
serve(api, { receive, send: (message) => self.postMessage(message) }).then(() => self.close());
