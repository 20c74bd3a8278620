//! v2's `total` from REST 3.0, which has no count: what is known of a row count, and the
//! probes that learn more.
//!
//! A page at `offset` with `limit` returns `min(limit, N - offset)` rows, so every page
//! the bridge reads tells something about N: a short page gives N exactly, a full one a
//! lower bound, an empty one an upper bound. Probes are pages of ids only (or of one row),
//! all of one round in one REST 3.0 batch together with the page the client asked for.
//! Cells of a fixed grid (`cell` rows each) count exactly as far as they reach; single-row
//! probes at doubling offsets bracket a count beyond them; the next round then counts
//! inside the bracket. A first page of a query of up to `dense × cell` rows thus costs one
//! request, its `total` included, and any count a few rounds more, never one per 1,000 rows.

/// What is known of a row count N.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Bound {
    /// N is at least this.
    pub at_least: u64,
    /// N is at most this, when known.
    pub at_most: Option<u64>,
}

impl Bound {
    /// The count, once the bounds meet.
    pub fn exact(&self) -> Option<u64> {
        (self.at_most == Some(self.at_least)).then_some(self.at_least)
    }

    /// What a page at `offset` with `limit` that returned `rows` rows tells.
    pub fn learn(&mut self, offset: u64, limit: u64, rows: u64) {
        if rows > 0 {
            self.at_least = self.at_least.max(offset + rows);
        }
        if rows < limit {
            let end = offset + rows;
            self.at_most = Some(self.at_most.map_or(end, |m| m.min(end)));
        }
    }
}

/// One counting request: `limit` ids from `offset`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Probe {
    pub offset: u64,
    pub limit: u64,
}

/// How counting spends calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CountPlan {
    /// Rows per grid cell (at most what one REST 3.0 page holds).
    pub cell: u64,
    /// Grid cells probed in the first round after the page.
    pub dense: u64,
    /// Single-row probes at doubling distances, for counts beyond the cells.
    pub far: u32,
    /// Most probes in a later round.
    pub per_round: u64,
}

impl CountPlan {
    /// First-round probes for a query whose rows up to `known_to` (exclusive, cell-aligned
    /// or not) are read anyway: the next `dense` cells, then far single-row probes.
    pub fn first_round(&self, known_to: u64) -> Vec<Probe> {
        let first_cell = known_to.div_ceil(self.cell);
        let mut probes: Vec<Probe> = (first_cell..first_cell + self.dense)
            .map(|c| Probe {
                offset: c * self.cell,
                limit: self.cell,
            })
            .collect();
        // The first far probe sits right where the cells end, so a count that fills them
        // exactly is still known in this round; the others at whole powers of two of the
        // cell, the same for every page of a query, so that the pages of one v2 batch
        // share them.
        let reach = ((first_cell + self.dense) * self.cell).max(self.cell);
        probes.push(Probe {
            offset: reach,
            limit: 1,
        });
        let mut distance = self.cell;
        while distance <= reach {
            distance = distance.saturating_mul(2);
        }
        for _ in 1..self.far {
            probes.push(Probe {
                offset: distance,
                limit: 1,
            });
            distance = distance.saturating_mul(2);
        }
        probes
    }

    /// Probes that narrow an inexact bound: cells inside a bracket small enough to count
    /// exactly, evenly spaced single rows inside a larger one, doubling distances when
    /// there is no upper bound. Empty when the bound is exact.
    pub fn next_round(&self, bound: Bound) -> Vec<Probe> {
        if bound.exact().is_some() {
            return Vec::new();
        }
        let lo = bound.at_least;
        match bound.at_most {
            Some(hi) => {
                let span = hi - lo;
                let step = span.div_ceil(self.per_round).max(1);
                if step <= self.cell {
                    (0..self.per_round)
                        .map(|i| lo + i * step)
                        .take_while(|&o| o < hi)
                        .map(|offset| Probe {
                            offset,
                            limit: step,
                        })
                        .collect()
                } else {
                    (1..self.per_round)
                        .map(|i| Probe {
                            offset: lo + i * step,
                            limit: 1,
                        })
                        .collect()
                }
            }
            None => {
                let mut distance = lo.max(self.cell);
                (0..self.per_round.min(40))
                    .map(|_| {
                        distance = distance.saturating_mul(2);
                        Probe {
                            offset: distance,
                            limit: 1,
                        }
                    })
                    .collect()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PLAN: CountPlan = CountPlan {
        cell: 1000,
        dense: 24,
        far: 12,
        per_round: 49,
    };

    /// Plays probes against a table of `n` rows, as the portal would answer them.
    fn count(n: u64, known_to: u64) -> (u64, usize) {
        let mut bound = Bound::default();
        bound.learn(0, known_to, n.min(known_to));
        let mut probes = PLAN.first_round(known_to);
        let mut rounds = 1;
        loop {
            for p in &probes {
                bound.learn(p.offset, p.limit, n.saturating_sub(p.offset).min(p.limit));
            }
            if let Some(exact) = bound.exact() {
                return (exact, rounds);
            }
            probes = PLAN.next_round(bound);
            assert!(!probes.is_empty(), "no progress at {bound:?}");
            rounds += 1;
            assert!(rounds < 12, "counting {n} runs away");
        }
    }

    #[test]
    fn counts_are_exact_and_small_ones_take_one_round() {
        for n in [0, 1, 49, 50, 51, 999, 1000, 1001, 5000, 20_000, 25_000] {
            assert_eq!(count(n, 1000), (n, 1), "n = {n}");
        }
    }

    #[test]
    fn large_counts_take_a_few_rounds_whatever_their_size() {
        for n in [25_001, 60_000, 123_457, 1_000_000, 9_999_999] {
            let (counted, rounds) = count(n, 1000);
            assert_eq!(counted, n);
            assert!(rounds <= 4, "{n} took {rounds} rounds");
        }
    }

    #[test]
    fn a_bound_learns_from_full_short_and_empty_pages() {
        let mut b = Bound::default();
        b.learn(0, 51, 51);
        assert_eq!(
            b,
            Bound {
                at_least: 51,
                at_most: None
            }
        );
        b.learn(5000, 1, 0);
        assert_eq!(b.at_most, Some(5000));
        b.learn(1000, 1000, 400);
        assert_eq!(b.exact(), Some(1400));
    }
}
