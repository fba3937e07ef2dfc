//! Graph facts, the rule engine and the built-in threat library (in progress).
