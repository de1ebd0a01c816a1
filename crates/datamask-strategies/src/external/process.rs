//! Running a plug-in process once: write its input, read its output, with a timeout.

use std::io::{Read, Write};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// One run of a plug-in program.
pub(super) struct Run<'a> {
    /// How messages name the program (`plug-in \`x\``).
    pub name: &'a str,
    pub program: &'a str,
    pub args: &'a [String],
    pub env: &'a [(&'a str, &'a str)],
    pub timeout: Duration,
}

impl Run<'_> {
    /// Starts the program, writes `input` to its stdin (then closes it) and returns all it
    /// wrote to stdout once it exited with status 0. Its stderr is discarded: it may echo
    /// data, and datamask's messages never carry values. A program that has not finished
    /// within the timeout is killed.
    pub fn exchange(&self, input: Vec<u8>) -> Result<Vec<u8>, String> {
        let name = self.name;
        let mut cmd = Command::new(self.program);
        cmd.args(self.args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        for (k, v) in self.env {
            cmd.env(k, v);
        }
        let mut child = cmd
            .spawn()
            .map_err(|e| format!("{name} could not be started: {}", e.kind()))?;
        let mut stdin = child.stdin.take().expect("piped stdin");
        let mut stdout = child.stdout.take().expect("piped stdout");
        // Writer and reader on their own threads, so a program that answers before reading
        // everything cannot deadlock us; this thread only waits, with the timeout.
        let writer = std::thread::spawn(move || {
            let _ = stdin.write_all(&input);
        });
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut out = Vec::new();
            let r = stdout.read_to_end(&mut out).map(|_| out);
            let _ = tx.send(r);
        });
        let output = match rx.recv_timeout(self.timeout) {
            Ok(r) => r.map_err(|e| format!("{name} output could not be read: {}", e.kind()))?,
            Err(_) => {
                let _ = child.kill();
                let _ = child.wait();
                let _ = writer.join();
                return Err(format!(
                    "{name} gave no complete answer within {} ms and was stopped",
                    self.timeout.as_millis()
                ));
            }
        };
        let _ = writer.join();
        let status = child
            .wait()
            .map_err(|e| format!("{name} could not be waited for: {}", e.kind()))?;
        if !status.success() {
            return Err(match status.code() {
                Some(c) => format!("{name} exited with status {c}"),
                None => format!("{name} was killed by a signal"),
            });
        }
        Ok(output)
    }
}
