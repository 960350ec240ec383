//! Vector files: types, loader, lint and runners (DESIGN.md §3).
