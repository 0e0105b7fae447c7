//! A synthetic NationBuilder nation served over HTTP, following the API reference.
