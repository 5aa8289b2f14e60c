//! Operations as state machines, one module per area. Each is created by a [`Session`]
//! method and run with [`drive`](crate::drive) or by hand through [`Operation`](crate::Operation).
//!
//! [`Session`]: crate::Session

pub mod collections;
pub mod discover;
pub mod freebusy;
pub mod objects;
pub mod schedule;
pub mod single;
pub mod sync;
pub mod write;
