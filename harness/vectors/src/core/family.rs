//! The shape every family has: model types (its test group), load-time checks, a runner and a
//! generator, behind the [`Family`] trait. The registry (`registry.rs`) lists the families;
//! a family imports only `crate::core` (a test enforces it).

use std::fmt::Debug;

use mtproto_iut::Iut;
use serde::Serialize;

use super::file::CaseGroup;
use super::generate::{GenerateError, Suite};
use super::judge::{Ran, RunOptions};
use super::load::{LoadError, Part};

/// One test-group type: its name, the family it belongs to (the `vectors/<dir>` its files live
/// in, the name `--filter family=` and the matrix use), its schema file, and the error names its
/// cases may expect (`None`: any name of the vocabulary).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GroupType {
    /// The group's `type` (`IgeTest`).
    pub name: &'static str,
    /// The family (`ige`).
    pub family: &'static str,
    /// The schema file under `vectors/schemas/`.
    pub schema: &'static str,
    /// The error names a case may expect; the same list is the `enum` on `error` in the schema.
    pub errors: Option<&'static [&'static str]>,
}

/// A family: a module under `families/` with its group types, parser, checks, runner and
/// generator.
pub trait Family {
    /// The family's test group (an enum when it has several group types).
    type Group: CaseGroup + Serialize + Clone + Debug + PartialEq;

    /// The group types this module parses and runs.
    const GROUP_TYPES: &'static [GroupType];

    /// Parse a group of type `group_type` (one of [`Self::GROUP_TYPES`]).
    fn parse(part: &Part<'_>, group_type: &str) -> Result<Self::Group, LoadError>;

    /// The family's load-time checks of group `g` of `file` (after the common ones).
    fn check(file: &str, g: usize, group: &Self::Group) -> Result<(), LoadError>;

    /// Run case `index` of `group` against `iut`, judged with [`judge`](super::judge::judge).
    /// `None` when there is no such case.
    fn run(group: &Self::Group, index: usize, iut: &mut dyn Iut, opts: &RunOptions) -> Option<Ran>;

    /// The family's shipped suites, as `(path under vectors/, file)`.
    fn generate() -> Result<Vec<Suite<Self::Group>>, GenerateError>;
}
