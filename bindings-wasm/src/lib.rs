//! WebAssembly bindings of davkit (work in progress: see issue 4).
