//! TEMP placeholder until the metrics branch merges (not committed).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Metrics {}
