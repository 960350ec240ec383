//! What every family shares and that names no family: the file model ([`file`]), the error
//! vocabulary ([`vocabulary`]), the loader's family-independent part ([`load`]), schema
//! validation ([`schema`]), the one judge ([`judge`]), the result records ([`result`]), generator
//! support ([`generate`]), what the end-to-end families share ([`e2e`]) and the
//! [`Family`](family::Family) trait each family implements.

pub mod e2e;
pub mod family;
pub mod file;
pub mod generate;
pub mod judge;
pub mod known;
pub mod load;
pub mod result;
pub mod schema;
pub mod vocabulary;
