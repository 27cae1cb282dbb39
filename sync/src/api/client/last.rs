//! What an attempt last produced ([`Last`]), and the typed error a request that ends on it
//! becomes.

use crate::api::payload::{AliasOutcome, ResponseClass};
use crate::error::{AttemptProblem, SyncError};
use crate::observer::RequestKind;
use crate::transport::TransportError;

/// What an attempt last produced.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Last {
    Response(ResponseClass),
    Transport(TransportError),
}

impl Last {
    /// The problem, for errors and failure reasons.
    pub(crate) fn problem(&self) -> AttemptProblem {
        match self {
            Last::Transport(e) => AttemptProblem::Transport(e.clone()),
            Last::Response(ResponseClass::Throttled { code, .. }) => {
                AttemptProblem::Throttled { code: code.clone() }
            }
            Last::Response(ResponseClass::Locked { .. }) => AttemptProblem::Status { status: 423 },
            Last::Response(ResponseClass::Conflict { .. }) => {
                AttemptProblem::Status { status: 409 }
            }
            Last::Response(ResponseClass::ServerError { status }) => {
                AttemptProblem::Status { status: *status }
            }
            Last::Response(ResponseClass::Aliases(outs)) => AttemptProblem::Transient {
                code: outs
                    .iter()
                    .find_map(|o| match o {
                        AliasOutcome::Transient { code, .. } => Some(code.clone()),
                        _ => None,
                    })
                    .unwrap_or_default(),
            },
            Last::Response(other) => AttemptProblem::Transient {
                code: format!("{other:?}"),
            },
        }
    }

    /// The error that ends the run when a request it needs ended this way.
    pub(crate) fn into_error(self, kind: RequestKind, board_id: &str, attempts: u32) -> SyncError {
        match self {
            Last::Response(ResponseClass::Auth {
                status,
                code,
                message,
            }) => SyncError::Auth {
                status,
                code,
                message,
            },
            Last::Response(ResponseClass::BoardNotFound { .. }) => SyncError::BoardNotFound {
                board_id: board_id.to_string(),
            },
            Last::Response(ResponseClass::AccountLimit { code, message }) => {
                SyncError::AccountLimit { code, message }
            }
            Last::Response(ResponseClass::Rejected { code, message }) => SyncError::Rejected {
                kind,
                code,
                message,
            },
            Last::Response(ResponseClass::TooComplex) => SyncError::Rejected {
                kind,
                code: "REQUEST_MAX_COMPLEXITY_EXCEEDED".into(),
                message: "the request exceeds the per-request complexity cap".into(),
            },
            Last::Transport(source @ TransportError::Other(_)) => SyncError::Transport { source },
            last => SyncError::RetriesExhausted {
                kind,
                attempts,
                last: last.problem(),
            },
        }
    }
}
