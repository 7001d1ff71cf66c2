//! `X-Hub-Signature-256` of a webhook delivery: `sha256=` and the hex HMAC-SHA256 of the raw
//! body keyed with the webhook secret, checked in constant time (`ring::hmac::verify`) before
//! anything reads the body. GitHub documents the header, the algorithm and a test vector in
//! "Validating webhook deliveries":
//! <https://docs.github.com/en/webhooks/using-webhooks/validating-webhook-deliveries>.

use ring::hmac;

/// The header GitHub signs each delivery with (SHA-256; the SHA-1 `X-Hub-Signature` is legacy).
pub const HEADER: &str = "X-Hub-Signature-256";

/// Why a delivery's signature is refused (the service answers 401 to each).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    Missing,
    Malformed,
    Mismatch,
}

/// The webhook secret as an HMAC key (the secret itself is not kept nor shown).
pub struct Verifier {
    key: hmac::Key,
}

impl std::fmt::Debug for Verifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Verifier(<secret>)")
    }
}

impl Verifier {
    pub fn new(secret: &[u8]) -> Self {
        Self {
            key: hmac::Key::new(hmac::HMAC_SHA256, secret),
        }
    }

    /// Whether `header` (the value of [`HEADER`], if any) signs `body`.
    pub fn verify(&self, header: Option<&[u8]>, body: &[u8]) -> Result<(), Refusal> {
        let header = header.ok_or(Refusal::Missing)?;
        let hex = header.strip_prefix(b"sha256=").ok_or(Refusal::Malformed)?;
        let tag = decode_hex(hex).ok_or(Refusal::Malformed)?;
        hmac::verify(&self.key, body, &tag).map_err(|_| Refusal::Mismatch)
    }

    /// The header value signing `body` (the simulator's and the tests' side of the exchange).
    pub fn sign(&self, body: &[u8]) -> String {
        let tag = hmac::sign(&self.key, body);
        let hex: String = tag.as_ref().iter().map(|b| format!("{b:02x}")).collect();
        format!("sha256={hex}")
    }
}

/// The bytes of a hex string of even length (either case); `None` on anything else.
fn decode_hex(hex: &[u8]) -> Option<Vec<u8>> {
    if hex.len() % 2 != 0 {
        return None;
    }
    hex.chunks(2)
        .map(|pair| {
            let hi = char::from(*pair.first()?).to_digit(16)?;
            let lo = char::from(*pair.get(1)?).to_digit(16)?;
            u8::try_from(hi * 16 + lo).ok()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    // GitHub's test values ("Validating webhook deliveries", section "Testing the webhook
    // payload validation").
    const SECRET: &[u8] = b"It's a Secret to Everybody";
    const PAYLOAD: &[u8] = b"Hello, World!";
    const SIGNATURE: &[u8] =
        b"sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";

    #[test]
    fn githubs_test_vector_verifies_and_is_what_sign_gives() {
        let v = Verifier::new(SECRET);
        assert_eq!(v.verify(Some(SIGNATURE), PAYLOAD), Ok(()));
        assert_eq!(v.sign(PAYLOAD).as_bytes(), SIGNATURE);
    }

    #[test]
    fn missing_malformed_and_wrong_signatures_are_refused() {
        let v = Verifier::new(SECRET);
        assert_eq!(v.verify(None, PAYLOAD), Err(Refusal::Missing));
        assert_eq!(
            v.verify(Some(b"sha1=abc"), PAYLOAD),
            Err(Refusal::Malformed)
        );
        assert_eq!(
            v.verify(Some(b"sha256=zz"), PAYLOAD),
            Err(Refusal::Malformed)
        );
        assert_eq!(
            v.verify(Some(b"sha256=7"), PAYLOAD),
            Err(Refusal::Malformed)
        );
        assert_eq!(
            v.verify(Some(SIGNATURE), b"Hello, World?"),
            Err(Refusal::Mismatch)
        );
        let other = Verifier::new(b"another secret");
        assert_eq!(
            other.verify(Some(SIGNATURE), PAYLOAD),
            Err(Refusal::Mismatch)
        );
    }

    #[test]
    fn upper_case_hex_is_read() {
        let v = Verifier::new(SECRET);
        let upper = String::from_utf8_lossy(SIGNATURE)
            .to_uppercase()
            .replace("SHA256=", "sha256=");
        assert_eq!(v.verify(Some(upper.as_bytes()), PAYLOAD), Ok(()));
    }
}
