// davkit's second module as the browser entry loads it, on first use (`import()`, a chunk of its
// own in a bundler's output): its wasm-bindgen glue, and the host's zone rules that only this
// module reads (zones.js), so that neither is in the first download.
import * as glue from './wasm/davkit_extras.js';
import { zoneRules } from './zones.js';

export { glue, zoneRules };
