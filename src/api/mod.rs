//! The Dollr API as the console speaks it: wire types, answer -> state, errors and the client.

pub mod lenient;
pub mod state;
pub mod wire;
