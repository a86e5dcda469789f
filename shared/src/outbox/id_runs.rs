//! The ids of the rows a relay has in flight, as runs of consecutive ids.
//!
//! The relay's next read skips exactly these rows. Passed as an array (`id <> ALL($ids)`), the
//! read's cost depended on PostgreSQL's plan: a custom plan hashes the array, but a generic one
//! (which a prepared statement may switch to after its fifth run) compares each row scanned with
//! every element: 10 ms a read with 1,500 ids in flight, measured with `EXPLAIN ANALYZE`. Rows
//! read in `id` order make few runs, and PostgreSQL finds an id in a multirange of them by
//! binary search in either plan. In the relay bench the median read went from 0.65 to 0.2 ms
//! (docs/benchmarks.md, "Outbox relay").

/// Sorted, disjoint runs `starts[i]..=ends[i]` covering exactly the given ids.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct IdRuns {
    pub starts: Vec<i64>,
    pub ends: Vec<i64>,
}

impl IdRuns {
    pub fn of(ids: impl IntoIterator<Item = i64>) -> Self {
        let mut ids: Vec<i64> = ids.into_iter().collect();
        ids.sort_unstable();
        ids.dedup();
        let mut runs = Self::default();
        for id in ids {
            match runs.ends.last_mut() {
                Some(end) if end.checked_add(1) == Some(id) => *end = id,
                _ => {
                    runs.starts.push(id);
                    runs.ends.push(id);
                }
            }
        }
        runs
    }

    #[cfg(test)]
    fn contains(&self, id: i64) -> bool {
        let after = self.starts.partition_point(|start| *start <= id);
        after > 0 && id <= self.ends[after - 1]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn consecutive_ids_make_one_run_and_a_gap_starts_another() {
        let runs = IdRuns::of([7, 3, 4, 5, 9, 10, 4]);
        assert_eq!(runs.starts, vec![3, 7, 9]);
        assert_eq!(runs.ends, vec![5, 7, 10]);
        assert_eq!(IdRuns::of([]), IdRuns::default());
    }

    #[test]
    fn the_largest_id_does_not_overflow() {
        let runs = IdRuns::of([i64::MAX, i64::MAX - 1, i64::MIN]);
        assert_eq!(runs.starts, vec![i64::MIN, i64::MAX - 1]);
        assert_eq!(runs.ends, vec![i64::MIN, i64::MAX]);
    }

    proptest! {
        #[test]
        fn the_runs_cover_exactly_the_ids(
            ids in proptest::collection::vec(0i64..300, 0..200),
            probe in 0i64..300,
        ) {
            let runs = IdRuns::of(ids.iter().copied());
            prop_assert_eq!(runs.contains(probe), ids.contains(&probe));
            prop_assert!(runs.starts.windows(2).all(|w| w[0] < w[1]));
            prop_assert!(runs.starts.iter().zip(&runs.ends).all(|(s, e)| s <= e));
            // Disjoint and not touching: otherwise they would be one run.
            prop_assert!(runs.ends.iter().zip(runs.starts.iter().skip(1)).all(|(e, s)| e + 1 < *s));
        }
    }
}
