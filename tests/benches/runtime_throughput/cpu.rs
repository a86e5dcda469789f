//! CPU seconds used by RabbitMQ, PostgreSQL and this process, read from /proc the way the
//! baseline bench reads them, so that "µs per message" means the same on both sides.

#[derive(Clone, Copy)]
pub struct Snapshot {
    rabbit: u64,
    postgres: u64,
    me: u64,
}

fn ticks(stat: &str) -> Option<u64> {
    // Fields after the `(comm)`: utime is the 12th, stime the 13th (0-based after the paren).
    let rest = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    Some(fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?)
}

fn processes_named(names: &[&str]) -> u64 {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return 0;
    };
    dir.filter_map(Result::ok)
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .bytes()
                .all(|b| b.is_ascii_digit())
        })
        .filter_map(|e| std::fs::read_to_string(e.path().join("stat")).ok())
        .filter(|stat| {
            stat.split_once('(')
                .and_then(|(_, r)| r.split_once(')'))
                .is_some_and(|(comm, _)| names.contains(&comm))
        })
        .filter_map(|stat| ticks(&stat))
        .sum()
}

pub fn snapshot() -> Snapshot {
    Snapshot {
        rabbit: processes_named(&["beam.smp"]),
        postgres: processes_named(&["postgres"]),
        me: std::fs::read_to_string("/proc/self/stat")
            .ok()
            .and_then(|s| ticks(&s))
            .unwrap_or(0),
    }
}

/// Microseconds of CPU per message between two snapshots: (rabbit, postgres, this process, total).
pub fn per_message(a: Snapshot, b: Snapshot, messages: usize) -> (f64, f64, f64, f64) {
    const TICKS_PER_S: f64 = 100.0; // USER_HZ on Linux
    let us =
        |x: u64, y: u64| y.saturating_sub(x) as f64 / TICKS_PER_S * 1e6 / messages.max(1) as f64;
    let (r, p, m) = (
        us(a.rabbit, b.rabbit),
        us(a.postgres, b.postgres),
        us(a.me, b.me),
    );
    (r, p, m, r + p + m)
}
