//! Cheap pre-parse guards so hostile documents produce errors, not memory blow-ups.

/// A document refused before parsing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GuardError {
    /// Selection sets nested deeper than allowed.
    #[error("Query is nested too deeply: depth {depth} exceeds the maximum of {max}")]
    TooDeep {
        /// Depth found (stops counting at max + 1).
        depth: usize,
        /// The limit.
        max: usize,
    },
}

/// Checks the `{`/`(`/`[` nesting depth of a GraphQL document, ignoring strings and comments.
pub fn query_depth(query: &str, max: usize) -> Result<usize, GuardError> {
    let bytes = query.as_bytes();
    let (mut depth, mut deepest, mut i) = (0usize, 0usize, 0usize);
    while i < bytes.len() {
        match bytes[i] {
            b'#' => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            b'"' => {
                if bytes[i..].starts_with(b"\"\"\"") {
                    i += 3;
                    while i < bytes.len() && !bytes[i..].starts_with(b"\"\"\"") {
                        i += 1;
                    }
                    i += 2;
                } else {
                    i += 1;
                    while i < bytes.len() && bytes[i] != b'"' && bytes[i] != b'\n' {
                        if bytes[i] == b'\\' {
                            i += 1;
                        }
                        i += 1;
                    }
                }
            }
            b'{' | b'(' | b'[' => {
                depth += 1;
                deepest = deepest.max(depth);
                if depth > max {
                    return Err(GuardError::TooDeep { depth, max });
                }
            }
            b'}' | b')' | b']' => depth = depth.saturating_sub(1),
            _ => {}
        }
        i += 1;
    }
    Ok(deepest)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn measures_depth_ignoring_strings() {
        assert_eq!(query_depth("{ a { b } }", 5), Ok(2));
        assert_eq!(query_depth(r#"{ a(x: "{{{{{{") }"#, 5), Ok(2));
        assert_eq!(query_depth("# {{{{{{{\n{a}", 5), Ok(1));
        let deep = "{a".repeat(100) + &"}".repeat(100);
        assert_eq!(
            query_depth(&deep, 32),
            Err(GuardError::TooDeep { depth: 33, max: 32 })
        );
    }
}
