//! `tl.id` through `ferogram_tl_parser`: the schema parser ferogram generates its TL types with.
//! `Definition::from_str` takes one schema line; on a line without `#id` it infers the id itself
//! (`tl_id`, CRC32 of the normalised line), which is what the vectors' combinators are. A line
//! the parser refuses (`ParseError`) is its rejection.

use ferogram_tl_parser::tl::Definition;

use crate::proto::{Answer, OpResult, Req, ok, string};

/// `tl.id`: the constructor id ferogram's parser gives the combinator line.
pub fn id(req: &Req) -> OpResult {
    let line = string(req, "combinator")?;
    Ok(match line.parse::<Definition>() {
        Ok(def) => ok([("constructorId", format!("{:08x}", def.id).into())]),
        Err(e) => Answer::Rejected("Rejected", format!("ferogram_tl_parser: {e:?}")),
    })
}
