#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    threatforge_fuzz::import(threatforge_import::Format::Otm, data)
});
