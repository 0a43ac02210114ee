//! The Dollr API as the console speaks it: wire types, answer -> state, errors and the client.

pub mod client;
pub mod error;
pub mod lenient;
pub mod state;
pub mod wire;

pub use client::{Answer, ApiClient, Auth, ClientOptions, TokenState, use_ring_for_tls};
pub use error::{ApiError, ErrorKind};
pub use state::{LocalState, state_for};
