//! Outputs of threatforge: reports and machine formats (in progress).
