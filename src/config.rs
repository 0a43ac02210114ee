//! Profiles, credentials and paths: everything read from the config file and the environment.
