//! Promises about the dependency tree: rustls only, no OpenSSL anywhere.

#[test]
fn no_openssl_or_native_tls_in_the_lockfile() {
    let lock = include_str!("../../Cargo.lock");
    for banned in ["openssl-sys", "openssl", "native-tls", "hyper-tls"] {
        assert!(
            !lock.contains(&format!("name = \"{banned}\"\n")),
            "{banned} is in Cargo.lock; use the rustls features instead"
        );
    }
}
