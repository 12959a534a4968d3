//! Values that must never be printed: the visitor secret and the access token.
//!
//! Their `Debug` and `Display` print a fixed redaction, so a `{:?}` in a log line, an error
//! message or a panic can never leak them. The value itself is reached only through `expose()`,
//! which makes each use easy to find.


macro_rules! redacted {
    ($(#[$doc:meta])* $name:ident, $label:literal) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq)]
        pub struct $name(String);

        impl $name {
            pub fn new(value: String) -> Self {
                Self(value)
            }

            /// The real value, for the one place that must send or store it.
            pub fn expose(&self) -> &str {
                &self.0
            }
        }

        impl core::fmt::Debug for $name {
            fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                f.write_str(concat!($label, "(redacted)"))
            }
        }

        impl core::fmt::Display for $name {
            fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                f.write_str("(redacted)")
            }
        }
    };
}

redacted!(
    /// The `visitor_secret_id`: whoever has it can act as the visitor.
    Secret,
    "Secret"
);
redacted!(
    /// An `access_token` (a JWT) for the `Authorization: Bearer` header.
    AccessToken,
    "AccessToken"
);
#[cfg(feature = "realtime")]
redacted!(
    /// A text frame for the real-time socket that carries an access token (a `sub`).
    Frame,
    "Frame"
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_and_display_never_show_the_value() {
        let secret = Secret::new("2bc12b9cb90d4faf92141c45d560164584ad030d78cb06f91e".into());
        let token = AccessToken::new("eyJhbGciOiJIUzI1NiJ9.e30.sig".into());
        #[cfg_attr(not(feature = "realtime"), allow(unused_mut))]
        let mut printed_forms = vec![format!("{secret:?}"), format!("{secret}"), format!("{token:?}"), format!("{token}")];
        #[cfg(feature = "realtime")]
        {
            let frame = Frame::new(r#"["sub",["/c","eyJhbGciOiJIUzI1NiJ9.e30.sig"],{"query":1}]"#.into());
            printed_forms.extend([format!("{frame:?}"), format!("{frame}")]);
        }
        for printed in printed_forms {
            assert!(!printed.contains("2bc12b9c") && !printed.contains("eyJ"), "{printed}");
            assert!(printed.contains("redacted"));
        }
        assert_eq!(secret.expose(), "2bc12b9cb90d4faf92141c45d560164584ad030d78cb06f91e");
    }
}
