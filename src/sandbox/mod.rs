//! The embedded sandbox: an axum server that speaks the vendor API on loopback.
