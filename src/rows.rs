//! Row-level decoding (placeholder until the tolerant decoder lands).

use serde::Deserialize;

use crate::envelope::RawPage;
use crate::model::{Participant, Role, Status};
use crate::paginate::FromRow;

pub(crate) fn status_and_role(raw: &str) -> (Option<Status>, Option<Role>) {
    #[derive(Deserialize)]
    struct Keys {
        status: Option<Status>,
        role: Option<Role>,
    }
    match serde_json::from_str::<Keys>(raw) {
        Ok(keys) => (keys.status, keys.role),
        Err(_) => (None, None),
    }
}

impl FromRow for Participant {
    fn from_row(page: &RawPage, index: usize) -> Self {
        serde_json::from_str(page.row(index)).unwrap_or_default()
    }
}
