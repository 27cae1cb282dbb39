//! Who is asking: the token's user (`me`, board creators and owners), the account and its one
//! workspace. The simulator has one account ([`ACCOUNT_ID`]); each token is one user of it,
//! with an id derived from the token (see [`user_id_for_token`]). Fields not modelled here come
//! from the schema-driven [`fallback`](super::fallback).

use std::time::Duration;

use apollo_compiler::resolvers::{FieldError, ObjectValue, ResolveInfo, ResolvedValue};
use apollo_compiler::response::JsonValue;
use serde_json::json;

use super::exec_state::{ExecState, URL_BASE};
use super::fallback;
use crate::clock::iso_time;
use crate::envelope::ACCOUNT_ID;

/// Id of the account's one workspace (the "Main workspace").
pub const WORKSPACE_ID: u64 = 1_000_001;

/// A user id derived from the `Authorization` token (stable per token, 8 digits), so two tokens
/// are two users of the one simulated account.
pub fn user_id_for_token(token: &str) -> u64 {
    let token = token.trim();
    let token = token.strip_prefix("Bearer ").unwrap_or(token).trim();
    10_000_000 + fallback::stable_id("token", token) % 90_000_000
}

fn string<'r>(s: impl Into<String>) -> ResolvedValue<'r> {
    ResolvedValue::Leaf(JsonValue::String(s.into().into()))
}

fn leaf<'r>(v: serde_json::Value) -> ResolvedValue<'r> {
    ResolvedValue::Leaf(JsonValue::from(v))
}

/// The token's user (`User`).
pub(crate) struct UserObj<'s> {
    pub st: &'s ExecState<'s>,
}

impl ObjectValue for UserObj<'_> {
    fn type_name(&self) -> &str {
        "User"
    }

    fn resolve_field<'a>(
        &'a self,
        info: &'a ResolveInfo<'a>,
    ) -> Result<ResolvedValue<'a>, FieldError> {
        let st = self.st;
        let id = st.ctx.user_id;
        Ok(match info.field_name() {
            "id" => string(id.to_string()),
            "name" => string("Simulated User"),
            "email" => string(format!("user{id}@simulated.monday.com")),
            "url" => string(format!("{URL_BASE}/users/{id}")),
            "account" => ResolvedValue::object(AccountObj { st }),
            "account_id" => string(ACCOUNT_ID.to_string()),
            "created_at" | "became_active_at" => string(iso_time(Duration::ZERO)),
            "kind" => string("admin"),
            "status" => string("ACTIVE"),
            "is_admin" | "enabled" | "is_verified" | "is_email_confirmed" => leaf(json!(true)),
            "is_guest" | "is_pending" | "is_view_only" | "is_deleted" => leaf(json!(false)),
            "time_zone_identifier" => string("Etc/UTC"),
            "utc_hours_diff" => leaf(json!(0.0)),
            "current_language" => string("en"),
            _ => fallback::resolve(st, "User", info),
        })
    }
}

/// The one simulated account (`Account`).
pub(crate) struct AccountObj<'s> {
    pub st: &'s ExecState<'s>,
}

impl ObjectValue for AccountObj<'_> {
    fn type_name(&self) -> &str {
        "Account"
    }

    fn resolve_field<'a>(
        &'a self,
        info: &'a ResolveInfo<'a>,
    ) -> Result<ResolvedValue<'a>, FieldError> {
        Ok(match info.field_name() {
            "id" => string(ACCOUNT_ID.to_string()),
            "name" => string("Simulated Account"),
            "slug" => string("simulated"),
            "created_at" => string(iso_time(Duration::ZERO)),
            "active_members_count" => leaf(json!(1)),
            "is_during_trial" | "is_trial_expired" => leaf(json!(false)),
            "show_timeline_weekends" => leaf(json!(true)),
            _ => fallback::resolve(self.st, "Account", info),
        })
    }
}

/// The account's one workspace (`Workspace`), holding every board.
pub(crate) struct WorkspaceObj<'s> {
    pub st: &'s ExecState<'s>,
}

impl ObjectValue for WorkspaceObj<'_> {
    fn type_name(&self) -> &str {
        "Workspace"
    }

    fn resolve_field<'a>(
        &'a self,
        info: &'a ResolveInfo<'a>,
    ) -> Result<ResolvedValue<'a>, FieldError> {
        let st = self.st;
        Ok(match info.field_name() {
            "id" => string(WORKSPACE_ID.to_string()),
            "name" => string("Main workspace"),
            "kind" => string("open"),
            "state" => string("active"),
            "is_default_workspace" => leaf(json!(true)),
            "created_at" => string(iso_time(Duration::ZERO)),
            "owners_subscribers" | "users_subscribers" => {
                ResolvedValue::list(std::iter::once(ResolvedValue::object(UserObj { st })))
            }
            _ => fallback::resolve(st, "Workspace", info),
        })
    }
}
