//! The soak's command line: `soak [--updates N] [--orgs K] [--shape pairs|chain]
//! [--records R] [--workers W] [--kills K] [--drops D] [--pg-restart N] [--pg-port P]`.

use anyhow::{Context, bail};
use tests::linked_orgs::Shape;

#[derive(Debug, Clone)]
pub struct Options {
    /// Field updates sent in all.
    pub updates: usize,
    pub orgs: usize,
    pub shape: Shape,
    /// Records per pair (pairs) or in all (chain).
    pub records: usize,
    /// `sync-worker` processes beside the app's own sync service.
    pub workers: usize,
    /// Times a worker process is killed with SIGKILL (and started again).
    pub kills: usize,
    /// Times the sync workers' broker connections are closed by the broker.
    pub drops: usize,
    /// Times PostgreSQL is restarted (fast shutdown and crash in turn). Any: the run uses a
    /// private cluster of its own on `pg_port`, never the shared server.
    pub pg_restarts: usize,
    pub pg_port: u16,
}

pub const USAGE: &str = "soak [--updates N (100000)] [--orgs K (4)] [--shape pairs|chain (pairs)] \
     [--records R (250)] [--workers W (2)] [--kills K (0)] [--drops D (0)] \
     [--pg-restart N (0): on a private PostgreSQL cluster] [--pg-port P (5455): its port]";

impl Options {
    pub fn parse(args: impl Iterator<Item = String>) -> anyhow::Result<Self> {
        let mut options = Self {
            updates: 100_000,
            orgs: 4,
            shape: Shape::Pairs,
            records: 250,
            workers: 2,
            kills: 0,
            drops: 0,
            pg_restarts: 0,
            pg_port: 5455,
        };
        let mut args = args.peekable();
        while let Some(flag) = args.next() {
            if flag == "--help" || flag == "-h" {
                bail!("usage: {USAGE}");
            }
            let value = args
                .next()
                .with_context(|| format!("{flag} needs a value; usage: {USAGE}"))?;
            let number = || -> anyhow::Result<usize> {
                value
                    .replace('_', "")
                    .parse()
                    .with_context(|| format!("{flag}: {value:?} is not a number"))
            };
            match flag.as_str() {
                "--updates" => options.updates = number()?,
                "--orgs" => options.orgs = number()?,
                "--records" => options.records = number()?,
                "--workers" => options.workers = number()?,
                "--kills" => options.kills = number()?,
                "--drops" => options.drops = number()?,
                "--pg-restart" | "--pg-restarts" => options.pg_restarts = number()?,
                "--pg-port" => {
                    options.pg_port = u16::try_from(number()?)
                        .with_context(|| format!("--pg-port: {value} is not a port"))?
                }
                "--shape" => {
                    options.shape = match value.as_str() {
                        "pairs" => Shape::Pairs,
                        "chain" => Shape::Chain,
                        other => bail!("--shape: {other:?} is neither pairs nor chain"),
                    }
                }
                other => bail!("unknown option {other}; usage: {USAGE}"),
            }
        }
        if options.orgs < 2 || options.records == 0 || options.updates == 0 {
            bail!("at least 2 orgs, 1 record and 1 update");
        }
        if options.kills > 0 && options.workers == 0 {
            bail!("--kills needs at least one worker process");
        }
        Ok(options)
    }
}
