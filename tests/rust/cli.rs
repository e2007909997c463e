//! CLI tests (see below).
