//! Tests of the layout solver, enumeration and rendering on A100 and Hopper models, against
//! facts and lists written by hand and an independent brute-force oracle.

use super::tests::{ALL_MODELS, base_name, model, names, no_placement, solve_short, t4};
use super::*;

// ---------------------------------------------------------------- solver facts

#[test]
fn two_3g_and_a_1g_do_not_fit() {
    let m = model("A100-80GB");
    let msg = no_placement(solve(&m, &["3g.40gb", "3g.40gb", "1g.10gb"]));
    assert_eq!(
        msg,
        "cannot place 3g.40gb, 3g.40gb, 1g.10gb on A100-80GB: 3g.40gb at start 0 uses memory \
         slices 0-3 and 3g.40gb at start 4 uses memory slices 4-7, so all 8 memory slices are \
         taken; no placement left for 1g.10gb (needs 1 memory slice starting at 0, 1, 2, 3, 4, \
         5 or 6)"
    );
    for name in ALL_MODELS {
        no_placement(solve_short(&model(name), "3g 3g 1g"));
        no_placement(solve_short(&model(name), "1g 3g 3g"));
    }
}

#[test]
fn a_4g_and_two_2g_do_not_fit() {
    let m = model("A100-80GB");
    let msg = no_placement(solve(&m, &["4g.40gb", "2g.20gb", "mig-2g.20gb"]));
    assert_eq!(
        msg,
        "cannot place 4g.40gb, 2g.20gb, 2g.20gb on A100-80GB: 4g.40gb at start 0 uses memory \
         slices 0-3 and 2g.20gb at start 4 uses memory slices 4-5; free memory slices: 6-7; no \
         placement left for 2g.20gb (needs 2 memory slices starting at 0, 2 or 4); the layout \
         would also need 8 compute slices, more than the 7 a GPU has"
    );
    for name in ALL_MODELS {
        no_placement(solve_short(&model(name), "2g 4g 2g"));
    }
}

#[test]
fn a_3g_and_two_2g_fit_only_with_the_3g_at_start_4() {
    for name in ALL_MODELS {
        let m = model(name);
        let got = solve_short(&m, "2g 3g 2g").unwrap();
        let starts: Vec<u8> = got.iter().map(|p| p.start).collect();
        assert_eq!(starts, vec![0, 4, 2], "{name}");
        // Every arrangement, by brute force: the 3g is always at 4.
        let n = names(&m, "3g 2g 2g");
        let idx: Vec<usize> = n.iter().map(|s| m.profile_index(s).unwrap()).collect();
        let all = brute_force_all(&m, &idx);
        assert!(!all.is_empty());
        assert!(all.iter().all(|pl| pl[0].start == 4), "{name}");
    }
}

#[test]
fn other_layout_facts() {
    for name in ALL_MODELS {
        let m = model(name);
        let got = solve_short(&m, "1g 2g 2g 2g").unwrap();
        let starts: Vec<u8> = got.iter().map(|p| p.start).collect();
        assert_eq!(starts, vec![6, 0, 2, 4], "{name}");
        let got = solve_short(&m, "3g 4g").unwrap();
        assert_eq!((got[0].start, got[1].start), (4, 0));
        assert!(solve_short(&m, "1g 1g 1g 1g 1g 1g 1g").is_ok());
        let one_g = base_name(&m, "1g");
        assert_eq!(
            solve_short(&m, "1g 1g 1g 1g 1g 1g 1g 1g"),
            Err(LayoutError::TooMany {
                profile: one_g,
                count: 8,
                max: 7
            })
        );
        let msg = no_placement(solve_short(&m, "1g 7g"));
        assert!(
            msg.contains("so all 8 memory slices are taken; no placement left for 1g"),
            "{msg}"
        );
        assert_eq!(solve(&m, &[]), Ok(vec![]));
    }
}

#[test]
fn variant_profiles_follow_their_rules() {
    let m = model("H100-80GB");
    // 1g+me: at most one.
    assert!(matches!(
        solve(&m, &["1g.10gb+me", "1g.10gb+me"]),
        Err(LayoutError::TooMany { max: 1, .. })
    ));
    // 1g.20gb takes two memory slices at even starts: four fill the GPU with 3 compute idle.
    let got = solve(&m, &["1g.20gb"; 4]).unwrap();
    let starts: Vec<u8> = got.iter().map(|p| p.start).collect();
    assert_eq!(starts, vec![0, 2, 4, 6]);
    no_placement(solve(
        &m,
        &["1g.20gb", "1g.20gb", "1g.20gb", "1g.20gb", "1g.10gb"],
    ));
    assert!(solve(&m, &["4g.40gb", "1g.20gb", "1g.20gb"]).is_ok());
}

#[test]
fn compute_limit_applies_when_memory_fits() {
    // NVIDIA's starts never let 8 compute slices fit in memory; a custom 1g+me at start 7 does.
    let mut m = model("A100-80GB");
    m.mig_profiles[1].starts.push(7);
    let mut layout = vec!["1g.10gb"; 7];
    layout.push("1g.10gb+me");
    assert_eq!(
        solve(&m, &layout),
        Err(LayoutError::ComputeSlices {
            needed: 8,
            available: 7
        })
    );
    assert_eq!(
        LayoutError::ComputeSlices {
            needed: 8,
            available: 7
        }
        .to_string(),
        "the layout needs 8 compute slices, but a GPU has only 7"
    );
}

#[test]
fn input_errors() {
    let m = model("A100-80GB");
    match solve(&m, &["3g.40gb", "3g.20gb"]) {
        Err(e @ LayoutError::UnknownProfile { .. }) => assert_eq!(
            e.to_string(),
            "GPU model A100-80GB has no MIG profile 3g.20gb; known profiles: 1g.10gb, \
             1g.10gb+me, 1g.20gb, 2g.20gb, 3g.40gb, 4g.40gb, 7g.80gb"
        ),
        other => panic!("{other:?}"),
    }
    let e = solve(&t4(), &["1g.5gb"]).unwrap_err();
    assert_eq!(e.to_string(), "GPU model T4 is not MIG capable");
    assert!(enumerate(&t4(), false).is_empty());
    assert!(render_layouts(&t4(), false).contains("not MIG capable"));
    assert!(matches!(
        solve_indices(&m, &[99]),
        Err(LayoutError::UnknownProfile { .. })
    ));
}

#[test]
fn malformed_custom_profiles_do_not_panic() {
    let mut m = model("A100-80GB");
    m.mig_profiles[4].starts = vec![7, 200, 4];
    m.mig_profiles[4].mem_slices = 200;
    m.mig_profiles[0].starts.clear();
    m.mig_profiles[3].mem_slices = 0;
    m.mig_profiles[3].compute_slices = 0;
    m.mig_profiles[3].max_count = 255;
    let _ = solve(&m, &["3g.40gb", "1g.10gb", "2g.20gb", "2g.20gb"]);
    let msg = no_placement(solve(&m, &["1g.10gb"]));
    assert!(msg.contains("has no allowed start"), "{msg}");
    let _ = enumerate(&m, true);
    let _ = render_layouts(&m, false);
}

// ---------------------------------------------------------------- enumeration

/// Layouts as counts of (7g, 4g, 3g, 2g, 1g), worked out by hand from the 12 maximal layouts
/// of gpu-facts.md (every feasible layout is a sub-multiset of a maximal one).
#[rustfmt::skip]
const ALL_37: [[u8; 5]; 37] = [
    [1, 0, 0, 0, 0],
    // with the 4g
    [0, 1, 1, 0, 0], [0, 1, 0, 1, 1], [0, 1, 0, 1, 0], [0, 1, 0, 0, 3], [0, 1, 0, 0, 2],
    [0, 1, 0, 0, 1], [0, 1, 0, 0, 0],
    // with a 3g, no 4g
    [0, 0, 2, 0, 0], [0, 0, 1, 2, 0], [0, 0, 1, 1, 2], [0, 0, 1, 1, 1], [0, 0, 1, 1, 0],
    [0, 0, 1, 0, 4], [0, 0, 1, 0, 3], [0, 0, 1, 0, 2], [0, 0, 1, 0, 1], [0, 0, 1, 0, 0],
    // 2g and 1g only
    [0, 0, 0, 3, 1], [0, 0, 0, 3, 0], [0, 0, 0, 2, 3], [0, 0, 0, 2, 2], [0, 0, 0, 2, 1],
    [0, 0, 0, 2, 0], [0, 0, 0, 1, 5], [0, 0, 0, 1, 4], [0, 0, 0, 1, 3], [0, 0, 0, 1, 2],
    [0, 0, 0, 1, 1], [0, 0, 0, 1, 0], [0, 0, 0, 0, 7], [0, 0, 0, 0, 6], [0, 0, 0, 0, 5],
    [0, 0, 0, 0, 4], [0, 0, 0, 0, 3], [0, 0, 0, 0, 2], [0, 0, 0, 0, 1],
];

/// Hand-copied from gpu-facts.md.
const MAXIMAL_12: [[u8; 5]; 12] = [
    [1, 0, 0, 0, 0], // 7g
    [0, 1, 1, 0, 0], // 4g 3g
    [0, 0, 2, 0, 0], // 3g 3g
    [0, 0, 1, 2, 0], // 3g 2g 2g
    [0, 1, 0, 1, 1], // 4g 2g 1g
    [0, 0, 0, 3, 1], // 2g x3 1g
    [0, 0, 1, 1, 2], // 3g 2g 1g x2
    [0, 1, 0, 0, 3], // 4g 1g x3
    [0, 0, 0, 2, 3], // 2g x2 1g x3
    [0, 0, 1, 0, 4], // 3g 1g x4
    [0, 0, 0, 1, 5], // 2g 1g x5
    [0, 0, 0, 0, 7], // 1g x7
];

fn counts(m: &GpuModel, layout: &[Placement]) -> [u8; 5] {
    let mut c = [0u8; 5];
    for pl in layout {
        let slot = ["7g", "4g", "3g", "2g", "1g"]
            .iter()
            .position(|s| *s == m.mig_profiles[pl.profile].short_name())
            .unwrap();
        c[slot] += 1;
    }
    c
}

fn sorted(mut v: Vec<[u8; 5]>) -> Vec<[u8; 5]> {
    v.sort();
    v
}

#[test]
fn enumerate_finds_37_layouts_and_12_maximal() {
    for name in ALL_MODELS {
        let m = model(name);
        let all = enumerate(&m, false);
        let got: Vec<[u8; 5]> = all.iter().map(|l| counts(&m, l)).collect();
        assert_eq!(sorted(got.clone()), sorted(ALL_37.to_vec()), "{name}");
        let maximal = enumerate(&m, true);
        let got_max: Vec<[u8; 5]> = maximal.iter().map(|l| counts(&m, l)).collect();
        assert_eq!(sorted(got_max), sorted(MAXIMAL_12.to_vec()), "{name}");
        // Only {3g,3g} leaves a compute slice idle among the maximal layouts.
        let idle: Vec<[u8; 5]> = maximal
            .iter()
            .filter(|l| {
                l.iter()
                    .map(|p| m.mig_profiles[p.profile].compute_slices)
                    .sum::<u8>()
                    < 7
            })
            .map(|l| counts(&m, l))
            .collect();
        assert_eq!(idle, vec![[0, 0, 2, 0, 0]]);
        // Order: largest profile first, a layout before its own subsets.
        assert_eq!(
            got[..3],
            [[1, 0, 0, 0, 0], [0, 1, 1, 0, 0], [0, 1, 0, 1, 1]]
        );
        assert_eq!(got[36], [0, 0, 0, 0, 1]);
    }
}

#[test]
fn enumerated_placements_are_the_solved_ones() {
    let m = model("A100-80GB");
    let all = enumerate(&m, false);
    let three_two_two = all
        .iter()
        .find(|l| counts(&m, l) == [0, 0, 1, 2, 0])
        .unwrap();
    let expect = [(4, 4, 4), (3, 0, 2), (3, 2, 2)];
    let got: Vec<(usize, u8, u8)> = three_two_two
        .iter()
        .map(|p| (p.profile, p.start, p.size))
        .collect();
    assert_eq!(got, expect.to_vec());
    assert_eq!(enumerate(&m, false), all, "deterministic");
}

// ---------------------------------------------------------------- rendering

#[test]
fn render_lists_layouts_with_slice_maps() {
    let m = model("A100-80GB");
    let text = render_layouts(&m, false);
    assert!(text.starts_with("MIG layouts of A100-80GB"), "{text}");
    assert!(text.ends_with("37 layouts, 12 maximal\n"), "{text}");
    let line = text
        .lines()
        .find(|l| l.contains("3g.40gb@4 2g.20gb@0 2g.20gb@2"))
        .unwrap();
    assert!(line.contains("[2g 2g|2g 2g|3g 3g 3g 3g]"), "{line}");
    assert!(
        line.contains("(7/7 compute, 8/8 memory slices)  maximal"),
        "{line}"
    );
    let line = text
        .lines()
        .find(|l| l.trim_start().starts_with("2g.20gb@0   "))
        .unwrap();
    assert!(
        line.contains("[2g 2g|-- -- -- -- -- --]  (2/7 compute, 2/8 memory slices)"),
        "{line}"
    );
    assert!(!line.contains("maximal"));
    assert_eq!(text.lines().count(), 37 + 3);
    let text = render_layouts(&m, true);
    assert_eq!(text.lines().count(), 12 + 3);
    assert!(text.contains("3g.40gb@0 3g.40gb@4"));
    assert!(text.contains("[3g 3g 3g 3g|3g 3g 3g 3g]  (6/7 compute, 8/8 memory slices)"));
}

// ---------------------------------------------------------------- independent oracle, proptest

/// Every valid assignment of starts (input order), by plain backtracking without the solver's
/// ordering or symmetry pruning; used as an oracle.
fn brute_force_all(m: &GpuModel, profiles: &[usize]) -> Vec<Vec<Placement>> {
    fn go(
        m: &GpuModel,
        ps: &[usize],
        used: u16,
        cur: &mut Vec<Placement>,
        out: &mut Vec<Vec<Placement>>,
    ) {
        let Some(&p) = ps.get(cur.len()) else {
            out.push(cur.clone());
            return;
        };
        let prof = &m.mig_profiles[p];
        for &s in &prof.starts {
            let mask = ((1u16 << prof.mem_slices) - 1) << s;
            if s + prof.mem_slices <= 8 && used & mask == 0 {
                cur.push(Placement {
                    profile: p,
                    start: s,
                    size: prof.mem_slices,
                });
                go(m, ps, used | mask, cur, out);
                cur.pop();
            }
        }
    }
    let mut out = Vec::new();
    go(m, profiles, 0, &mut Vec::new(), &mut out);
    out
}

fn rules_ok(m: &GpuModel, profiles: &[usize], got: &[Placement]) -> Result<(), String> {
    if got.len() != profiles.len() {
        return Err("length".into());
    }
    let mut used = 0u16;
    let mut compute = 0u32;
    for (pl, &p) in got.iter().zip(profiles) {
        let prof = &m.mig_profiles[p];
        if pl.profile != p || pl.size != prof.mem_slices || !prof.starts.contains(&pl.start) {
            return Err(format!("bad placement {pl:?} for {}", prof.name));
        }
        if u16::from(pl.start) + u16::from(pl.size) > 8 {
            return Err(format!("{pl:?} runs past slice 7"));
        }
        let mask = ((1u16 << pl.size) - 1) << pl.start;
        if used & mask != 0 {
            return Err(format!("{pl:?} overlaps"));
        }
        used |= mask;
        compute += u32::from(prof.compute_slices);
        let count = profiles.iter().filter(|&&q| q == p).count();
        if count > usize::from(prof.max_count) {
            return Err(format!("too many {}", prof.name));
        }
    }
    if compute > 7 {
        return Err(format!("{compute} compute slices"));
    }
    Ok(())
}

mod props {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn solve_agrees_with_oracle(model_i in 0usize..6, profiles in prop::collection::vec(0usize..7, 0..9)) {
            let m = model(ALL_MODELS[model_i]);
            let compute: u32 = profiles.iter().map(|&p| u32::from(m.mig_profiles[p].compute_slices)).sum();
            match solve_indices(&m, &profiles) {
                Ok(got) => prop_assert_eq!(rules_ok(&m, &profiles, &got), Ok(())),
                Err(LayoutError::NoPlacement { .. }) => {
                    prop_assert!(brute_force_all(&m, &profiles).is_empty());
                }
                Err(LayoutError::ComputeSlices { needed, .. }) => prop_assert_eq!(needed, compute),
                Err(LayoutError::TooMany { .. }) => {}
                Err(e) => prop_assert!(false, "unexpected {e}"),
            }
            // A layout the oracle can place (within compute and counts) must be solved.
            let counts_ok = profiles.iter().all(|&p| {
                profiles.iter().filter(|&&q| q == p).count() <= usize::from(m.mig_profiles[p].max_count)
            });
            if compute <= 7 && counts_ok && !brute_force_all(&m, &profiles).is_empty() {
                prop_assert!(solve_indices(&m, &profiles).is_ok());
            }
        }

        #[test]
        fn enumerated_layouts_solve_in_any_order(model_i in 0usize..6, seed in any::<u64>()) {
            let m = model(ALL_MODELS[model_i]);
            for layout in enumerate(&m, false) {
                let mut names: Vec<&str> = layout.iter().map(|p| m.mig_profiles[p.profile].name.as_str()).collect();
                let k = (seed as usize) % names.len();
                names.rotate_left(k);
                if seed & 1 == 1 {
                    names.reverse();
                }
                let got = solve(&m, &names);
                prop_assert!(got.is_ok(), "{names:?}: {got:?}");
                let idx: Vec<usize> = names.iter().map(|n| m.profile_index(n).unwrap()).collect();
                prop_assert_eq!(rules_ok(&m, &idx, &got.unwrap()), Ok(()));
            }
        }
    }
}
