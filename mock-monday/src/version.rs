//! API versions and the error-shape family each one answers with.

/// The version served when a request names none (the *Current* version).
pub const CURRENT_VERSION: &str = "2026-10";

/// Error shapes change by API version (docs/monday-api.md §1.5, 1.6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ErrorStyle {
    /// <= 2024-07: top-level `error_code`, `error_message`, `error_data`, `status_code`.
    Legacy,
    /// 2024-10: GraphQL `errors` array *and* the legacy top-level keys.
    Dual,
    /// 2025-01 .. 2025-04: GraphQL errors only; complexity error carries budget fields.
    Modern2025_01,
    /// 2025-07: complexity error trimmed to code + retry_in_seconds; USER_UNAUTHORIZED.
    Modern2025_07,
    /// 2025-10 and later: REQUEST_MAX_COMPLEXITY_EXCEEDED for the per-request cap.
    Modern2025_10,
}

/// A well-formed `YYYY-MM` version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ApiVersion {
    pub year: u16,
    pub month: u8,
}

/// Why an `API-Version` header was refused (`InvalidVersionException`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid API version {0:?}: expected YYYY-MM")]
pub struct InvalidVersion(pub String);

/// Versions the simulator knows by name; a well-formed but unknown version is served as Current.
pub const KNOWN_VERSIONS: &[&str] = &[
    "2023-10", "2024-01", "2024-04", "2024-07", "2024-10", "2025-01", "2025-04", "2025-07",
    "2025-10", "2026-01", "2026-04", "2026-07", "2026-10", "2027-01",
];

impl ApiVersion {
    pub fn current() -> Self {
        Self::parse(CURRENT_VERSION).expect("current version is well formed")
    }

    /// Parses `YYYY-MM`. Anything else is an [`InvalidVersion`].
    pub fn parse(text: &str) -> Result<Self, InvalidVersion> {
        let bad = || InvalidVersion(text.to_string());
        let (y, m) = text.trim().split_once('-').ok_or_else(bad)?;
        if y.len() != 4 || m.len() != 2 {
            return Err(bad());
        }
        let year: u16 = y.parse().map_err(|_| bad())?;
        let month: u8 = m.parse().map_err(|_| bad())?;
        if !(1..=12).contains(&month) {
            return Err(bad());
        }
        Ok(Self { year, month })
    }

    /// The version actually used to serve a request that asked for `requested`:
    /// none -> Current; known -> itself; deprecated 2024-10/2025-01 -> 2025-04;
    /// well-formed but unknown -> Current.
    pub fn resolve(requested: Option<&str>) -> Result<Self, InvalidVersion> {
        let Some(text) = requested.map(str::trim).filter(|t| !t.is_empty()) else {
            return Ok(Self::current());
        };
        let v = Self::parse(text)?;
        let name = v.to_string();
        if name == "2024-10" || name == "2025-01" {
            return Ok(Self {
                year: 2025,
                month: 4,
            });
        }
        if KNOWN_VERSIONS.contains(&name.as_str()) {
            Ok(v)
        } else {
            Ok(Self::current())
        }
    }

    pub fn error_style(self) -> ErrorStyle {
        match (self.year, self.month) {
            (y, m) if (y, m) <= (2024, 7) => ErrorStyle::Legacy,
            (2024, _) => ErrorStyle::Dual,
            (2025, m) if m < 7 => ErrorStyle::Modern2025_01,
            (2025, m) if m < 10 => ErrorStyle::Modern2025_07,
            _ => ErrorStyle::Modern2025_10,
        }
    }
}

impl std::fmt::Display for ApiVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_versions_like_the_live_api() {
        assert_eq!(
            ApiVersion::resolve(None).unwrap().to_string(),
            CURRENT_VERSION
        );
        assert_eq!(
            ApiVersion::resolve(Some("2024-07")).unwrap().to_string(),
            "2024-07"
        );
        assert_eq!(
            ApiVersion::resolve(Some("2025-01")).unwrap().to_string(),
            "2025-04"
        );
        assert_eq!(
            ApiVersion::resolve(Some("2024-02")).unwrap().to_string(),
            CURRENT_VERSION
        );
        assert!(ApiVersion::resolve(Some("2023")).is_err());
        assert!(ApiVersion::resolve(Some("2023-13")).is_err());
    }

    #[test]
    fn error_style_by_version() {
        let s = |v: &str| ApiVersion::parse(v).unwrap().error_style();
        assert_eq!(s("2024-07"), ErrorStyle::Legacy);
        assert_eq!(s("2024-10"), ErrorStyle::Dual);
        assert_eq!(s("2025-04"), ErrorStyle::Modern2025_01);
        assert_eq!(s("2025-07"), ErrorStyle::Modern2025_07);
        assert_eq!(s("2026-10"), ErrorStyle::Modern2025_10);
    }
}
