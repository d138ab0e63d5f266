//! Request shapes: jobs the scheduler cannot tell apart share one shape, one queue and one
//! fit; each pool's typical shapes (fragmentation, FGD) are built from the jobs per shape.

use crate::cluster::frag::TYPICAL_THRESHOLD_PCT;
use crate::cluster::{HostNeed, Need, TypicalNeed, typical_needs};
use crate::domain::RequestSpec;
use crate::sched::ShapeFit;
use std::collections::BTreeMap;

/// What makes two jobs interchangeable for the scheduler: same class, request, memory and
/// priority (so a blocked shape never hides a job that could preempt), and allowed models.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(super) struct ShapeKey {
    class: u32,
    request: RequestSpec,
    mem_mib: u64,
    priority: i32,
    can_preempt: bool,
    /// GPU models the job allows (lower case, sorted); empty = any.
    models: Vec<String>,
    /// Pods of a gang (1: an ordinary job).
    pods: u32,
    /// CPU and host memory the pod requests.
    host: HostNeed,
}

impl ShapeKey {
    /// The key of a job, and its GPU models as it named them (for messages), one per model
    /// ignoring case, sorted.
    pub fn new(
        class: u32,
        request: &RequestSpec,
        mem: f64,
        priority: i32,
        can_preempt: bool,
        mut models: Vec<String>,
        host: HostNeed,
    ) -> (ShapeKey, Vec<String>) {
        models.sort_by_key(|m| m.to_lowercase());
        models.dedup_by_key(|m| m.to_lowercase());
        let key = ShapeKey {
            class,
            request: request.clone(),
            mem_mib: (mem * 1024.0).round() as u64,
            priority,
            can_preempt,
            models: models.iter().map(|m| m.to_lowercase()).collect(),
            pods: 1,
            host,
        };
        (key, models)
    }

    /// The same key for a gang of `pods` pods.
    pub fn with_pods(mut self, pods: u32) -> ShapeKey {
        self.pods = pods;
        self
    }
}

pub(super) struct Shape {
    pub class: u32,
    pub request: RequestSpec,
    pub mem: f64,
    /// GPU models the job allows (as the first job named them); empty = any.
    pub models: Vec<String>,
    pub fit: ShapeFit,
    /// Fits nowhere now, but will after a scheduled reconfiguration.
    pub fits_after_reconfiguration: bool,
    /// Pods of a gang (1: an ordinary job).
    pub pods: u32,
    /// CPU and host memory the pod requests.
    pub host: HostNeed,
}

/// Every shape seen, indexed by key and by the pools it fits.
pub(super) struct Shapes {
    shapes: Vec<Shape>,
    ix: BTreeMap<ShapeKey, u32>,
    by_pool: Vec<Vec<u32>>,
    /// Jobs admitted per shape, and each pool's typical shapes built from them (rebuilt when
    /// stale).
    jobs: Vec<u64>,
    typical: Vec<Vec<TypicalNeed>>,
    stale: Vec<bool>,
}

impl Shapes {
    pub fn new(pools: usize) -> Self {
        Shapes {
            shapes: Vec::new(),
            ix: BTreeMap::new(),
            by_pool: vec![Vec::new(); pools],
            jobs: Vec::new(),
            typical: vec![Vec::new(); pools],
            stale: vec![false; pools],
        }
    }

    pub fn find(&self, key: &ShapeKey) -> Option<u32> {
        self.ix.get(key).copied()
    }

    /// Adds a new shape (its key not seen before); returns its index.
    pub fn insert(&mut self, key: ShapeKey, shape: Shape) -> u32 {
        let ix = self.shapes.len() as u32;
        for fp in &shape.fit.pools {
            self.by_pool[fp.pool as usize].push(ix);
        }
        self.jobs.push(0);
        self.shapes.push(shape);
        self.ix.insert(key, ix);
        ix
    }

    pub fn get(&self, shape: u32) -> &Shape {
        &self.shapes[shape as usize]
    }

    pub fn len(&self) -> u32 {
        self.shapes.len() as u32
    }

    /// Shapes that fit `pool`.
    pub fn in_pool(&self, pool: u32) -> &[u32] {
        &self.by_pool[pool as usize]
    }

    /// First pool a shape would use: where its queue depth is reported.
    pub fn home_pool(&self, shape: u32) -> Option<u32> {
        self.get(shape).fit.pools.first().map(|fp| fp.pool)
    }

    /// A job of `shape` was admitted: the typical shapes of its pools are stale.
    pub fn job_admitted(&mut self, shape: u32) {
        self.jobs[shape as usize] += 1;
        for fp in &self.shapes[shape as usize].fit.pools {
            self.stale[fp.pool as usize] = true;
        }
    }

    /// The pools changed (a reconfiguration): every shape is fitted again with `set_fit`, and
    /// every pool's typical shapes are stale.
    pub fn clear_fits(&mut self) {
        for v in &mut self.by_pool {
            v.clear();
        }
        self.stale.iter_mut().for_each(|t| *t = true);
    }

    pub fn set_fit(&mut self, shape: u32, fit: ShapeFit, fits_after_reconfiguration: bool) {
        for fp in &fit.pools {
            self.by_pool[fp.pool as usize].push(shape);
        }
        let s = &mut self.shapes[shape as usize];
        s.fit = fit;
        s.fits_after_reconfiguration = fits_after_reconfiguration;
    }

    /// Pool `pool`'s typical shapes, as of the last `refresh_typical`.
    pub fn typical(&self, pool: u32) -> &[TypicalNeed] {
        &self.typical[pool as usize]
    }

    /// Rebuilds pool `pool`'s typical shapes if jobs arrived since the last build.
    pub fn refresh_typical(&mut self, pool: u32) {
        let p = pool as usize;
        if !self.stale[p] {
            return;
        }
        let counts: Vec<(Need, u64)> = self.by_pool[p]
            .iter()
            .filter_map(|&s| {
                let shape = &self.shapes[s as usize];
                let fp = shape.fit.pools.iter().find(|fp| fp.pool == pool)?;
                // Pods without GPUs fragment no GPU.
                (fp.need.units() > 0).then(|| (fp.need.clone(), self.jobs[s as usize]))
            })
            .collect();
        self.typical[p] = typical_needs(&counts, TYPICAL_THRESHOLD_PCT);
        self.stale[p] = false;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sched::FitPool;

    fn gpus(n: u32) -> RequestSpec {
        RequestSpec::Gpu { count: n }
    }

    /// A shape of `n` whole GPUs that fits pool 0 only.
    fn shape_in_pool_0(n: u32) -> Shape {
        let need = Need::Whole { gpus: n };
        Shape {
            class: 0,
            request: gpus(n),
            mem: 10.0,
            models: Vec::new(),
            fit: ShapeFit {
                pools: vec![FitPool {
                    pool: 0,
                    need,
                    rank: 0,
                }],
                rejected: Vec::new(),
            },
            fits_after_reconfiguration: false,
            pods: 1,
            host: HostNeed::default(),
        }
    }

    #[test]
    fn keys_ignore_model_case_order_and_sub_mib_memory() {
        let models = |m: &[&str]| m.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let (a, named) = ShapeKey::new(
            0,
            &gpus(1),
            10.0,
            0,
            false,
            models(&["H100", "a100"]),
            HostNeed::default(),
        );
        // 10.0001 GiB = 10240.1 MiB, rounded to 10240 like 10.0 GiB.
        let (b, _) = ShapeKey::new(
            0,
            &gpus(1),
            10.0001,
            0,
            false,
            models(&["A100", "h100"]),
            HostNeed::default(),
        );
        assert_eq!(a, b);
        // One name per model, as first given, sorted ignoring case.
        assert_eq!(named, ["a100", "H100"]);
        let (_, deduped) = ShapeKey::new(
            0,
            &gpus(1),
            10.0,
            0,
            false,
            models(&["A100", "a100"]),
            HostNeed::default(),
        );
        assert_eq!(deduped, ["A100"]);
        // 10.001 GiB = 10241.02 MiB: another shape; so is another priority.
        let (c, _) = ShapeKey::new(
            0,
            &gpus(1),
            10.001,
            0,
            false,
            models(&["a100", "h100"]),
            HostNeed::default(),
        );
        let (d, _) = ShapeKey::new(
            0,
            &gpus(1),
            10.0,
            1,
            false,
            models(&["a100", "h100"]),
            HostNeed::default(),
        );
        assert_ne!(a, c);
        assert_ne!(a, d);

        let mut shapes = Shapes::new(2);
        assert_eq!(shapes.find(&a), None);
        let ix = shapes.insert(a, shape_in_pool_0(1));
        assert_eq!((ix, shapes.find(&b)), (0, Some(0)));
        assert_eq!((shapes.in_pool(0), shapes.in_pool(1)), (&[0][..], &[][..]));
        assert_eq!(shapes.home_pool(0), Some(0));
    }

    #[test]
    fn typical_shapes_are_rebuilt_only_when_stale() {
        let mut shapes = Shapes::new(2);
        let key = |n| ShapeKey::new(0, &gpus(n), 10.0, 0, false, Vec::new(), HostNeed::default()).0;
        let one = shapes.insert(key(1), shape_in_pool_0(1));
        let two = shapes.insert(key(2), shape_in_pool_0(2));
        let typical = |s: &Shapes| -> Vec<(Need, u64)> {
            s.typical(0)
                .iter()
                .map(|t| (t.need.clone(), t.weight))
                .collect()
        };
        // 19 one-GPU jobs and 1 two-GPU job: the one-GPU shape alone covers 19/20 = 95 %, the
        // threshold, so it is the whole typical set.
        for _ in 0..19 {
            shapes.job_admitted(one);
        }
        shapes.job_admitted(two);
        assert!(typical(&shapes).is_empty(), "not rebuilt yet");
        shapes.refresh_typical(0);
        assert_eq!(typical(&shapes), [(Need::Whole { gpus: 1 }, 19)]);
        // A second two-GPU job: 19/21 = 90.5 % < 95 %, so both shapes are typical, but only
        // once the stale set is rebuilt.
        shapes.job_admitted(two);
        assert_eq!(typical(&shapes).len(), 1);
        shapes.refresh_typical(0);
        assert_eq!(
            typical(&shapes),
            [(Need::Whole { gpus: 1 }, 19), (Need::Whole { gpus: 2 }, 2)]
        );
        // Pool 1 has no shapes and never went stale.
        shapes.refresh_typical(1);
        assert!(shapes.typical(1).is_empty());
        // A reconfiguration clears the fits; typical sets are rebuilt from the new ones.
        shapes.clear_fits();
        assert!(shapes.in_pool(0).is_empty());
        shapes.set_fit(two, shape_in_pool_0(2).fit, false);
        shapes.refresh_typical(0);
        assert_eq!(typical(&shapes), [(Need::Whole { gpus: 2 }, 2)]);
    }
}
