//! The MIG layout solver: where the GPU instances of a layout sit on the memory slices.
//!
//! The driver places instances first-come when no placement is given, so a small instance made
//! first can take the spot a later large one needed. The simulator and the hardware harness
//! therefore compute placements here and create instances with explicit placements.
//!
//! Rules: an instance of a profile occupies memory slices `[start, start + size)` for one of the
//! profile's allowed starts; instances never overlap; the compute slices of all instances add up
//! to at most 7; no profile appears more often than its `max_count`.

use super::models::size_rank;
use super::{GpuModel, MIG_COMPUTE_SLICES, MIG_MEMORY_SLICES};
use std::cmp::Ordering;

/// Where one GPU instance sits: memory slices `[start, start + size)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Placement {
    /// Index into the model's `mig_profiles`.
    pub profile: usize,
    /// First memory slice.
    pub start: u8,
    /// Memory slices occupied.
    pub size: u8,
}

impl Placement {
    /// Bit mask of the memory slices used (bit i = slice i); `None` if it runs past slice 7.
    pub fn mask(&self) -> Option<u16> {
        slice_mask(self.start, self.size)
    }
}

fn slice_mask(start: u8, size: u8) -> Option<u16> {
    let end = u16::from(start) + u16::from(size);
    (end <= u16::from(MIG_MEMORY_SLICES)).then(|| ((1u16 << size) - 1) << start)
}

const ALL_SLICES: u16 = (1 << MIG_MEMORY_SLICES) - 1;

/// Why a layout cannot be placed on a GPU; the messages are meant for end users.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum LayoutError {
    /// The model has no MIG profiles.
    #[error("GPU model {model} is not MIG capable")]
    NotMigCapable { model: String },
    /// A profile name the model does not have; `known` lists the model's profile names.
    #[error("GPU model {model} has no MIG profile {name}; known profiles: {}", known.join(", "))]
    UnknownProfile {
        model: String,
        name: String,
        known: Vec<String>,
    },
    /// More instances of one profile than `max_count` allows.
    #[error("{count} x {profile} requested, but at most {max} fit on one GPU")]
    TooMany {
        profile: String,
        count: usize,
        max: u8,
    },
    /// The instances fit in memory but need more than 7 compute slices. NVIDIA's allowed
    /// starts make this impossible on the built-in models; custom geometry can reach it.
    #[error("the layout needs {needed} compute slices, but a GPU has only {available}")]
    ComputeSlices { needed: u32, available: u32 },
    /// No arrangement of the instances on the memory slices exists; `message` names the
    /// conflict (and notes a compute-slice overrun as well, if there is one).
    #[error("{message}")]
    NoPlacement { message: String },
}

/// Places the named profiles (`3g.40gb` or `mig-3g.40gb`) on one GPU of `model`.
/// `placements[i]` is for `profiles[i]`. An empty list is a valid (empty) layout.
pub fn solve(model: &GpuModel, profiles: &[&str]) -> Result<Vec<Placement>, LayoutError> {
    if !model.mig_capable() {
        return Err(not_mig_capable(model));
    }
    let indices = profiles
        .iter()
        .map(|name| {
            model
                .profile_index(name)
                .ok_or_else(|| unknown_profile(model, name))
        })
        .collect::<Result<Vec<_>, _>>()?;
    solve_indices(model, &indices)
}

/// Like [`solve`], with profiles given as indices into `model.mig_profiles`.
pub fn solve_indices(model: &GpuModel, profiles: &[usize]) -> Result<Vec<Placement>, LayoutError> {
    if !model.mig_capable() {
        return Err(not_mig_capable(model));
    }
    if let Some(&bad) = profiles.iter().find(|&&p| p >= model.mig_profiles.len()) {
        return Err(unknown_profile(model, &format!("#{bad}")));
    }
    let mut counted = vec![0usize; model.mig_profiles.len()];
    for &p in profiles {
        counted[p] += 1;
    }
    for &p in profiles {
        let prof = &model.mig_profiles[p];
        if counted[p] > usize::from(prof.max_count) {
            return Err(LayoutError::TooMany {
                profile: prof.name.clone(),
                count: counted[p],
                max: prof.max_count,
            });
        }
    }
    let needed: u32 = profiles
        .iter()
        .map(|&p| u32::from(model.mig_profiles[p].compute_slices))
        .sum();
    // Place larger profiles first; equal profiles stay in input order and get ascending starts.
    let mut order: Vec<usize> = (0..profiles.len()).collect();
    order.sort_by_key(|&i| (size_rank(&model.mig_profiles[profiles[i]], profiles[i]), i));
    let mut search = Search::new(model, order.iter().map(|&i| profiles[i]).collect());
    if !search.place(0) {
        let mut message = search.explain(profiles);
        if needed > u32::from(MIG_COMPUTE_SLICES) {
            message.push_str(&format!(
                "; the layout would also need {needed} compute slices, more than the {MIG_COMPUTE_SLICES} a GPU has"
            ));
        }
        return Err(LayoutError::NoPlacement { message });
    }
    // Only reachable with custom geometry: NVIDIA's allowed starts already keep compute <= 7.
    if needed > u32::from(MIG_COMPUTE_SLICES) {
        return Err(LayoutError::ComputeSlices {
            needed,
            available: u32::from(MIG_COMPUTE_SLICES),
        });
    }
    let mut out = vec![
        Placement {
            profile: 0,
            start: 0,
            size: 0
        };
        profiles.len()
    ];
    for (&i, &pl) in order.iter().zip(&search.stack) {
        out[i] = pl;
    }
    Ok(out)
}

fn not_mig_capable(model: &GpuModel) -> LayoutError {
    LayoutError::NotMigCapable {
        model: model.name.clone(),
    }
}

fn unknown_profile(model: &GpuModel, name: &str) -> LayoutError {
    LayoutError::UnknownProfile {
        model: model.name.clone(),
        name: name.to_string(),
        known: model.mig_profiles.iter().map(|p| p.name.clone()).collect(),
    }
}

/// Upper bound on search steps; only malformed custom profiles come anywhere near it.
const STEP_LIMIT: u32 = 100_000;

/// Depth-first search over allowed starts, ascending, largest profile first.
struct Search<'a> {
    model: &'a GpuModel,
    /// Profile index per search depth.
    order: Vec<usize>,
    /// Allowed starts per search depth, sorted and deduplicated.
    starts: Vec<Vec<u8>>,
    stack: Vec<Placement>,
    /// The first partial placement that reached the greatest depth, for the error message.
    deepest: Vec<Placement>,
    steps: u32,
}

impl<'a> Search<'a> {
    fn new(model: &'a GpuModel, order: Vec<usize>) -> Self {
        let starts = order
            .iter()
            .map(|&p| {
                let mut s = model.mig_profiles[p].starts.clone();
                s.sort_unstable();
                s.dedup();
                s
            })
            .collect();
        Search {
            model,
            stack: Vec::with_capacity(order.len()),
            order,
            starts,
            deepest: Vec::new(),
            steps: 0,
        }
    }

    fn place(&mut self, used: u16) -> bool {
        let depth = self.stack.len();
        if depth == self.order.len() {
            return true;
        }
        self.steps += 1;
        if self.steps > STEP_LIMIT {
            return false;
        }
        let p = self.order[depth];
        let size = self.model.mig_profiles[p].mem_slices;
        // Instances of one profile are interchangeable: keep their starts increasing so each
        // arrangement is tried once.
        let min_start = match (depth.checked_sub(1), self.stack.last()) {
            (Some(prev), Some(last)) if self.order[prev] == p => last.start.saturating_add(1),
            _ => 0,
        };
        for k in 0..self.starts[depth].len() {
            let start = self.starts[depth][k];
            if start < min_start {
                continue;
            }
            let Some(mask) = slice_mask(start, size) else {
                continue;
            };
            if used & mask != 0 {
                continue;
            }
            self.stack.push(Placement {
                profile: p,
                start,
                size,
            });
            if self.stack.len() > self.deepest.len() {
                self.deepest = self.stack.clone();
            }
            if self.place(used | mask) {
                return true;
            }
            self.stack.pop();
        }
        false
    }

    /// Explains the failure from the deepest partial placement: what each placed instance
    /// uses, what is left free, and what the first unplaced profile needs.
    fn explain(&self, input: &[usize]) -> String {
        let profiles = &self.model.mig_profiles;
        let names: Vec<&str> = input.iter().map(|&p| profiles[p].name.as_str()).collect();
        let head = format!("cannot place {} on {}", names.join(", "), self.model.name);
        if self.steps > STEP_LIMIT {
            return format!(
                "{head}: search gave up after {STEP_LIMIT} steps; check the profile definitions"
            );
        }
        let mut used = 0u16;
        let placed: Vec<String> = self
            .deepest
            .iter()
            .map(|pl| {
                used |= pl.mask().unwrap_or(0);
                format!(
                    "{} at start {} uses {}",
                    profiles[pl.profile].name,
                    pl.start,
                    slice_phrase(pl.start, pl.size)
                )
            })
            .collect();
        let free = ALL_SLICES & !used;
        let state = if placed.is_empty() {
            format!("all {MIG_MEMORY_SLICES} memory slices are free")
        } else if free == 0 {
            format!(
                "{}, so all {MIG_MEMORY_SLICES} memory slices are taken",
                join_and(&placed, "and")
            )
        } else {
            let ranges = ranges(free);
            let s = if free.count_ones() == 1 { "" } else { "s" };
            format!(
                "{}; free memory slice{s}: {}",
                join_and(&placed, "and"),
                ranges.join(", ")
            )
        };
        let depth = self.deepest.len().min(self.order.len().saturating_sub(1));
        let next = &profiles[self.order[depth]];
        let s = if next.mem_slices == 1 { "" } else { "s" };
        let starts: Vec<String> = self.starts[depth].iter().map(u8::to_string).collect();
        let need = if starts.is_empty() {
            format!(
                "needs {} memory slice{s} but has no allowed start",
                next.mem_slices
            )
        } else {
            format!(
                "needs {} memory slice{s} starting at {}",
                next.mem_slices,
                join_and(&starts, "or")
            )
        };
        format!(
            "{head}: {state}; no placement left for {} ({need})",
            next.name
        )
    }
}

/// "memory slice 3" or "memory slices 0-3".
fn slice_phrase(start: u8, size: u8) -> String {
    match size {
        0 => "no memory slices".to_string(),
        1 => format!("memory slice {start}"),
        _ => format!(
            "memory slices {}-{}",
            start,
            u16::from(start) + u16::from(size) - 1
        ),
    }
}

/// Maximal runs of set bits as "6-7" or "3".
fn ranges(mask: u16) -> Vec<String> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < MIG_MEMORY_SLICES {
        if mask & (1 << i) == 0 {
            i += 1;
            continue;
        }
        let first = i;
        while i + 1 < MIG_MEMORY_SLICES && mask & (1 << (i + 1)) != 0 {
            i += 1;
        }
        out.push(if first == i {
            first.to_string()
        } else {
            format!("{first}-{i}")
        });
        i += 1;
    }
    out
}

/// "a", "a and b", "a, b and c" (or with "or").
fn join_and(items: &[String], word: &str) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} {word} {last}", rest.join(", ")),
    }
}

/// Every feasible non-empty multiset of base profiles, each with one placement (largest
/// profile first, equal profiles by start). Layouts are ordered by their profiles, largest
/// first, a layout before its own subsets. With `maximal_only`, only layouts to which no further
/// base profile can be added (see [`is_maximal`]).
pub fn enumerate(model: &GpuModel, maximal_only: bool) -> Vec<Vec<Placement>> {
    if !model.mig_capable() {
        return Vec::new();
    }
    // Profiles that use no slices would make the set of layouts unbounded; validate() rejects them.
    let base: Vec<usize> = model
        .base_profiles()
        .into_iter()
        .filter(|&p| {
            let prof = &model.mig_profiles[p];
            prof.mem_slices > 0 && prof.compute_slices > 0
        })
        .collect();
    let mut out = Vec::new();
    let mut current = Vec::new();
    extend(model, &base, 0, &mut current, &mut out);
    if maximal_only {
        out.retain(|layout| is_maximal(model, layout));
    }
    let rank = |p: usize| base.iter().position(|&b| b == p).unwrap_or(usize::MAX);
    out.sort_by(|a, b| {
        for (x, y) in a.iter().zip(b) {
            match rank(x.profile).cmp(&rank(y.profile)) {
                Ordering::Equal => continue,
                other => return other,
            }
        }
        b.len().cmp(&a.len())
    });
    out
}

/// Grows `current` by base profiles at position `from` or later (so each multiset is built
/// once); a layout that cannot be placed has no placeable superset, so the search stops there.
fn extend(
    model: &GpuModel,
    base: &[usize],
    from: usize,
    current: &mut Vec<usize>,
    out: &mut Vec<Vec<Placement>>,
) {
    for k in from..base.len() {
        current.push(base[k]);
        if let Ok(placed) = solve_indices(model, current) {
            out.push(placed);
            extend(model, base, k, current, out);
        }
        current.pop();
    }
}

/// True when no base profile can be added to the layout's profiles (re-placing the instances
/// if that helps). An empty layout is never maximal on a MIG-capable model.
pub fn is_maximal(model: &GpuModel, layout: &[Placement]) -> bool {
    let mut profiles: Vec<usize> = layout.iter().map(|pl| pl.profile).collect();
    model.base_profiles().into_iter().all(|p| {
        profiles.push(p);
        let fits = solve_indices(model, &profiles).is_ok();
        profiles.pop();
        !fits
    })
}
