//! Performance metrics, one family per file.
