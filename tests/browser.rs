//! Browser tests: being written (helper D owns this file).
