use clap::Parser;

use payout_console::cli::{self, Cli};
use payout_console::config::Paths;

fn main() {
    cli::mark_start();
    let args = Cli::parse();
    let paths = match Paths::resolve(args.config.as_deref()) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(2);
        }
    };
    if cli::is_local(&args) {
        // `history | head` closes the pipe early: end quietly, as Unix tools do, instead of
        // panicking on the next print. Only for commands that use no network socket.
        // SAFETY: called before any thread starts; SIG_DFL is a valid disposition.
        unsafe {
            libc::signal(libc::SIGPIPE, libc::SIG_DFL);
        }
    }
    let _log = cli::init_logging(&paths, !cli::is_local(&args));
    if let Some(code) = cli::run_local(&args, &paths) {
        drop(_log);
        std::process::exit(code);
    }
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: could not start the async runtime: {e}");
            std::process::exit(1);
        }
    };
    let code = runtime.block_on(async {
        match cli::run(&args, &paths).await {
            Some(code) => code,
            None => payout_console::tui::run(&args, &paths).await,
        }
    });
    drop(runtime);
    drop(_log);
    std::process::exit(code);
}
