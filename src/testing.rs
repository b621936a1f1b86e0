//! Not part of the product: synthetic buyer mail for the benchmarks and the tests that need
//! volume (`synth`). Nothing the app or a command runs uses it.

pub mod synth;
