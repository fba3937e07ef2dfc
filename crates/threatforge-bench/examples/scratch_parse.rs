use std::time::Instant;
fn main() {
    let path = std::env::args().nth(1).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    let limits = threatforge_model::LoadOptions::default().limits;
    for _ in 0..3 {
        let t = Instant::now();
        let a = threatforge_model::yaml::fast::parse_fast(&text, &limits);
        let p = t.elapsed();
        drop(a);
        let t = Instant::now();
        let loaded = threatforge_model::load(std::path::Path::new(&path), &threatforge_model::LoadOptions::default());
        let l = t.elapsed();
        let t = Instant::now();
        let world = threatforge_analysis::world::World::new(&loaded.model);
        let w = t.elapsed();
        drop(world);
        println!("parse {p:?} load {l:?} world {w:?}");
    }
}
