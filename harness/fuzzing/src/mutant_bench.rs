//! The start-up hook of the mutant benchmark (`fuzz/mutant-bench.sh`): every fuzz target calls
//! [`init`] once before the first input. With the `mutants` feature (turned on only by the fuzz
//! crate's `mutant-bench` feature, never by a normal fuzz build) it activates the deliberate bug
//! of `mtproto::mutants` named in [`ENV`], so the bench can time how long a target's oracle takes
//! to notice it. Without the feature, a set [`ENV`] stops the target: a run that believes a
//! mutant is planted when none is would report a false "not found".

/// The environment variable naming the mutant to activate (as `mtproto-harness self-test
/// --mutant` spells it, e.g. `swap-x`); unset or empty activates none.
pub const ENV: &str = "MTPROTO_MUTANT";

/// Activate the mutant [`ENV`] names, if any; panics on a name that is not a mutant, or on any
/// name in a build without mutants.
pub fn init() {
    let name = std::env::var(ENV).unwrap_or_default();
    if name.is_empty() {
        return;
    }
    #[cfg(feature = "mutants")]
    {
        if !mtproto::mutants::activate(&name) {
            let known: Vec<&str> = mtproto::mutants::names().collect();
            panic!("{ENV}={name} names no mutant (known: {})", known.join(", "));
        }
        eprintln!("mutant-bench: mutant {name} is active");
    }
    #[cfg(not(feature = "mutants"))]
    panic!(
        "{ENV}={name}, but this fuzz build has no mutants: build with \
         `cargo fuzz build --features mutant-bench`"
    );
}
