//! Everything a command needs before it can talk to the API: paths, logging, the profile,
//! credentials, the (optional) embedded sandbox, the client and the journal.

use std::sync::Arc;

use tracing_appender::non_blocking::WorkerGuard;

use super::args::Cli;
use super::error::CliError;
use crate::api::{ApiClient, Auth, ClientOptions};
use crate::config::{Config, Credentials, Paths, Profile};
use crate::journal::Journal;
use crate::payout::{Engine, EngineContext, PollPolicy, Store, default_device, os_user};
use crate::sandbox::{self, SandboxHandle, SandboxOptions};

/// Sends tracing to the log file, never to the terminal. Keep the guard alive until exit.
///
/// `background`: write through a logging thread, so a slow disk never stalls the screen or a
/// request. Short local commands (`history`, `config`) write directly instead: starting and
/// joining that thread would be a third of their run time.
pub fn init_logging(paths: &Paths, background: bool) -> Option<WorkerGuard> {
    let dir = paths.log_file.parent()?;
    std::fs::create_dir_all(dir).ok()?;
    let file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&paths.log_file)
        .ok()?;
    let filter = tracing_subscriber::EnvFilter::try_from_env("PAYOUT_CONSOLE_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(false);
    if !background {
        builder
            .with_writer(std::sync::Mutex::new(file))
            .try_init()
            .ok()?;
        return None;
    }
    // A small queue: the default (128k lines) costs a 4 MB allocation on every start.
    let (writer, guard) = tracing_appender::non_blocking::NonBlockingBuilder::default()
        .buffered_lines_limit(1024)
        .lossy(false)
        .finish(file);
    builder.with_writer(writer).try_init().ok()?;
    Some(guard)
}

/// A command connected to an API: the engine, and the sandbox when it runs in-process.
pub struct Connected {
    pub engine: Arc<Engine>,
    pub profile_name: String,
    pub profile: Profile,
    pub sandbox: Option<SandboxHandle>,
}

impl Connected {
    pub fn is_live(&self) -> bool {
        self.profile.live && self.sandbox.is_none()
    }
}

pub fn open_store(paths: &Paths) -> Result<Store, CliError> {
    let journal = Journal::open(&paths.data_dir).map_err(|e| CliError::Other(e.to_string()))?;
    Ok(Store::new(journal))
}

/// Resolves the profile (or starts the sandbox), builds the client and opens the journal.
pub async fn connect(cli: &Cli, paths: &Paths) -> Result<Connected, CliError> {
    let (profile_name, profile, auth, handle) = if cli.sandbox {
        let handle = sandbox::start(([127, 0, 0, 1], 0).into(), SandboxOptions::default())
            .await
            .map_err(|e| CliError::Other(format!("could not start the sandbox: {e}")))?;
        let profile = Profile::sandbox(&handle.base_url);
        let auth = Auth::Client {
            client_id: sandbox::CLIENT_ID.to_string(),
            client_secret: sandbox::CLIENT_SECRET.into(),
        };
        ("sandbox".to_string(), profile, auth, Some(handle))
    } else {
        let config = Config::load(&paths.config_file).map_err(CliError::Config)?;
        let (name, profile) = config
            .select(cli.profile.as_deref())
            .map_err(CliError::Config)?;
        let profile = profile
            .with_env_overrides(&crate::config::process_env)
            .map_err(CliError::Config)?;
        let creds = profile
            .credentials(&crate::config::process_env)
            .map_err(CliError::Config)?;
        let auth = match creds {
            Credentials::Bearer(t) => Auth::Bearer(t),
            Credentials::Client {
                client_id,
                client_secret,
            } => Auth::Client {
                client_id,
                client_secret,
            },
        };
        (name, profile, auth, None)
    };
    let api_base = profile.api_base();
    let client = ApiClient::new(
        ClientOptions {
            api_base: api_base.clone(),
            timeout: profile.timeout,
            connect_timeout: profile.connect_timeout,
            user_agent: format!("payout-console/{}", env!("CARGO_PKG_VERSION")),
        },
        auth,
    )
    .map_err(|e| CliError::Other(e.to_string()))?;
    let store = open_store(paths)?;
    let device = {
        let d = profile.device.clone();
        let base = api_base.clone();
        tokio::task::spawn_blocking(move || {
            default_device(
                d.name.as_deref(),
                &d.kind,
                &d.platform,
                d.client_ip.as_deref(),
                &base,
            )
        })
        .await
        .map_err(|e| CliError::Other(e.to_string()))?
    };
    let engine = Engine {
        client: Arc::new(client),
        store,
        ctx: EngineContext {
            profile: profile_name.clone(),
            base_url: profile.base_url.to_string(),
            sandbox: handle.is_some(),
            os_user: os_user(),
            device,
        },
        poll: PollPolicy {
            interval: profile.poll_interval,
            ..PollPolicy::default()
        },
    };
    Ok(Connected {
        engine: Arc::new(engine),
        profile_name,
        profile,
        sandbox: handle,
    })
}
