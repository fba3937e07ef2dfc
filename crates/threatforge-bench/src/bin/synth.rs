//! `cargo run -p threatforge-bench --bin synth -- N [SEED] > model.yaml`: a synthetic model.

fn main() {
    let mut args = std::env::args().skip(1);
    let n: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(1000);
    let seed: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(42);
    print!("{}", threatforge_bench::model(n, seed));
}
