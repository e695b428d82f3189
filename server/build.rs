// Rebuild when a migration changes (`sqlx::migrate!` embeds them at compile time) or when the
// browser client changes (rust-embed embeds web/; a new file would otherwise not be picked up).
fn main() {
    println!("cargo:rerun-if-changed=../migrations");
    println!("cargo:rerun-if-changed=../web");
}
