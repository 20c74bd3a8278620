//! The real binary as a child process: started with `serve` on a free loopback port, its
//! address read from the JSON start-up log line, stopped with a signal.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

pub struct BridgeProcess {
    child: Child,
    pub addr: SocketAddr,
    lines: mpsc::Receiver<String>,
}

/// A `b24bridge` command with no `B24BRIDGE_*` or `RUST_LOG` from the test's environment.
pub fn command() -> Command {
    // Cargo names the binary to tests; an example that shares this module finds it beside
    // its own folder (target/<profile>/examples/ → target/<profile>/b24bridge).
    let binary = match option_env!("CARGO_BIN_EXE_b24bridge") {
        Some(path) => std::path::PathBuf::from(path),
        None => std::env::current_exe()
            .expect("the running executable")
            .parent()
            .and_then(|examples| examples.parent())
            .expect("a target folder")
            .join("b24bridge"),
    };
    let mut cmd = Command::new(binary);
    for (key, _) in std::env::vars() {
        if key.starts_with("B24BRIDGE_") {
            cmd.env_remove(key);
        }
    }
    cmd.env_remove("RUST_LOG")
        .env("B24BRIDGE_ADMIN__LISTEN", "127.0.0.1:0")
        .current_dir(std::env::temp_dir());
    cmd
}

impl BridgeProcess {
    /// Runs `b24bridge serve` on 127.0.0.1:0 with JSON logs, plus `env`, and waits until it
    /// has printed the address it listens on.
    pub fn spawn(env: &[(&str, &str)]) -> BridgeProcess {
        BridgeProcess::spawn_with(&[], env)
    }

    /// Like [`BridgeProcess::spawn`], with arguments after `serve`.
    pub fn spawn_with(args: &[&str], env: &[(&str, &str)]) -> BridgeProcess {
        let mut cmd = command();
        cmd.arg("serve")
            .args(args)
            .env("B24BRIDGE_LISTEN", "127.0.0.1:0")
            .env("B24BRIDGE_LOG__FORMAT", "json")
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("binary starts");
        let (tx, lines) = mpsc::channel();
        for stream in [
            Box::new(child.stderr.take().unwrap()) as Box<dyn std::io::Read + Send>,
            Box::new(child.stdout.take().unwrap()),
        ] {
            let tx = tx.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(stream).lines().map_while(Result::ok) {
                    let _ = tx.send(line);
                }
            });
        }
        let mut seen = Vec::new();
        let addr = loop {
            let line = lines
                .recv_timeout(Duration::from_secs(20))
                .unwrap_or_else(|_| panic!("no start-up line; saw {seen:?}"));
            if let Ok(v) = serde_json::from_str::<serde_json::Value>(&line) {
                if let Some(addr) = v["listen"].as_str() {
                    break addr.parse().unwrap();
                }
            }
            seen.push(line);
        };
        BridgeProcess { child, addr, lines }
    }

    /// Sends a signal by name ("TERM", "INT") with kill(1).
    pub fn signal(&self, name: &str) {
        let status = Command::new("kill")
            .arg(format!("-{name}"))
            .arg(self.child.id().to_string())
            .status()
            .expect("kill runs");
        assert!(status.success(), "kill -{name} failed");
    }

    /// The exit status, if the process ends within `limit`.
    pub async fn wait_exit(&mut self, limit: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + limit;
        loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                return Some(status);
            }
            if Instant::now() >= deadline {
                return None;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Everything printed so far.
    pub fn output(&self) -> Vec<String> {
        self.lines.try_iter().collect()
    }
}

impl Drop for BridgeProcess {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}
