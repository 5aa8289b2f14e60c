//! Benchmarks for davkit live in `benches/`; this library is empty on purpose.
