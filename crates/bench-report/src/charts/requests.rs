//! The request strip under a time series: requests as bars, one lane per overlapping request,
//! or, for many requests, each lane's busy share per column of time.

use crate::Span;

/// Lanes in the request strip; more overlapping requests share the least busy lane.
const MAX_LANES: usize = 24;
/// Up to this many requests are drawn one bar each; beyond, each lane is shaded by how busy it
/// is in each of [`COLUMNS`] columns of time, so the strip holds at most `24 * 200` blocks.
pub(crate) const MAX_BARS: usize = 2000;
/// Columns of time a busy lane is shaded in.
const COLUMNS: usize = 200;
/// Shades of busy: a column busy for a quarter of its time or less gets the faintest.
const SHADES: usize = 4;

/// Assigns each span the first lane free at its start (interval partitioning), up to
/// [`MAX_LANES`]; beyond that, the lane that frees first.
pub(crate) fn lanes(requests: &[Span]) -> Vec<(Span, usize)> {
    let mut order: Vec<Span> = requests.to_vec();
    order.sort_by(|a, b| a.start.total_cmp(&b.start));
    let mut ends: Vec<f64> = Vec::new();
    order
        .into_iter()
        .map(|span| {
            let lane = match ends.iter().position(|end| *end <= span.start) {
                Some(free) => free,
                None if ends.len() < MAX_LANES => {
                    ends.push(span.end);
                    ends.len() - 1
                }
                None => (0..ends.len())
                    .min_by(|a, b| ends[*a].total_cmp(&ends[*b]))
                    .unwrap_or(0),
            };
            ends[lane] = ends[lane].max(span.end);
            (span, lane)
        })
        .collect()
}

/// One drawn stretch of a lane: its lane, start and end, and the share of that time it is busy
/// (rounded up to a quarter).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Busy {
    pub(crate) lane: usize,
    pub(crate) start: f64,
    pub(crate) end: f64,
    pub(crate) share: f64,
}

/// How busy each lane of `lanes` is in [`COLUMNS`] equal columns over `lo..hi`, neighbouring
/// columns of one shade merged; idle stretches are left out.
pub(crate) fn busy(lanes: &[(Span, usize)], lo: f64, hi: f64) -> Vec<Busy> {
    let lane_count = lanes.iter().map(|(_, lane)| lane + 1).max().unwrap_or(0);
    let width = if hi > lo {
        (hi - lo) / COLUMNS as f64
    } else {
        1.0
    };
    // Per lane: partly covered columns add their covered share; whole columns go through a
    // difference array, so a long request costs as little as a short one.
    let mut share = vec![0.0; lane_count * COLUMNS];
    let mut whole = vec![0.0; lane_count * (COLUMNS + 1)];
    for (span, lane) in lanes {
        let at = |x: f64| ((x - lo) / width).clamp(0.0, COLUMNS as f64);
        let (a, b) = (at(span.start), at(span.end));
        let (first, last) = (a.floor() as usize, b.floor() as usize);
        let row = lane * COLUMNS;
        if first == last {
            if first < COLUMNS {
                share[row + first] += b - a;
            }
            continue;
        }
        share[row + first] += (first + 1) as f64 - a;
        if last < COLUMNS {
            share[row + last] += b - last as f64;
        }
        whole[lane * (COLUMNS + 1) + first + 1] += 1.0;
        whole[lane * (COLUMNS + 1) + last] -= 1.0;
    }
    let mut out = Vec::new();
    for lane in 0..lane_count {
        let mut running = 0.0;
        let shades: Vec<usize> = (0..COLUMNS)
            .map(|col| {
                running += whole[lane * (COLUMNS + 1) + col];
                let busy = (share[lane * COLUMNS + col] + running).min(1.0);
                (busy * SHADES as f64 - 1e-9).ceil().max(0.0) as usize
            })
            .collect();
        let mut col = 0;
        while col < COLUMNS {
            let shade = shades[col];
            let start = col;
            while col < COLUMNS && shades[col] == shade {
                col += 1;
            }
            if shade > 0 {
                out.push(Busy {
                    lane,
                    start: lo + width * start as f64,
                    end: lo + width * col as f64,
                    share: shade as f64 / SHADES as f64,
                });
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn span(start: f64, end: f64) -> Span {
        Span { start, end }
    }

    #[test]
    fn overlapping_requests_get_separate_lanes_and_free_lanes_are_reused() {
        let assigned = lanes(&[
            span(0.0, 2.0),
            span(1.0, 3.0),
            span(2.5, 4.0),
            span(2.0, 2.2),
        ]);
        let lane_of = |start: f64| {
            assigned
                .iter()
                .find(|(s, _)| s.start == start)
                .map(|(_, l)| *l)
        };
        assert_eq!(lane_of(0.0), Some(0));
        assert_eq!(lane_of(1.0), Some(1));
        assert_eq!(lane_of(2.0), Some(0));
        assert_eq!(lane_of(2.5), Some(0));
    }

    #[test]
    fn lanes_are_capped() {
        let many: Vec<Span> = (0..100).map(|_| span(0.0, 1.0)).collect();
        assert!(lanes(&many).iter().all(|(_, lane)| *lane < MAX_LANES));
    }

    #[test]
    fn busy_shares_follow_the_time_covered() {
        // Lane 0: busy all of 0..50 and a quarter of each column of 50..100; lane 1: half of
        // one column (columns are 0.5 wide).
        let mut lanes = vec![(span(0.0, 50.0), 0), (span(70.0, 70.25), 1)];
        lanes.extend((0..100).map(|i| {
            let start = 50.0 + 0.5 * f64::from(i);
            (span(start, start + 0.125), 0)
        }));
        let shaded = busy(&lanes, 0.0, 100.0);
        assert_eq!(
            shaded,
            vec![
                Busy {
                    lane: 0,
                    start: 0.0,
                    end: 50.0,
                    share: 1.0
                },
                Busy {
                    lane: 0,
                    start: 50.0,
                    end: 100.0,
                    share: 0.25
                },
                Busy {
                    lane: 1,
                    start: 70.0,
                    end: 70.5,
                    share: 0.5
                },
            ]
        );
    }

    #[test]
    fn busy_blocks_stay_bounded_however_many_requests() {
        let many: Vec<Span> = (0..100_000)
            .map(|i| {
                span(
                    f64::from(i) * 0.01,
                    f64::from(i) * 0.01 + 0.013 * f64::from(i % 7),
                )
            })
            .collect();
        let assigned = lanes(&many);
        let shaded = busy(&assigned, 0.0, 1000.0);
        assert!(shaded.len() <= MAX_LANES * COLUMNS);
        assert!(
            shaded
                .iter()
                .all(|b| b.share > 0.0 && b.share <= 1.0 && b.end > b.start)
        );
    }
}
