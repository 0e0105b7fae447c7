//! Declarative mapping of source records to the open schema (placeholder, filled by the mapping work).
