//! The client-side filters of participant rows: any of the statuses, and any of the roles,
//! read off a row's JSON text without decoding the rest of it.

use std::borrow::Cow;
use std::sync::Arc;

use serde::Deserialize;
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use crate::json::replace_lone_surrogates;
use crate::model::{Role, Status};
use crate::paginate::Filter;

/// The client-side filters: any of the statuses, and any of the roles.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Criteria {
    statuses: Vec<Status>,
    roles: Vec<Role>,
}

impl Criteria {
    pub(crate) fn add_status(&mut self, status: Status) {
        self.statuses.push(status);
    }

    pub(crate) fn add_role(&mut self, role: Role) {
        self.roles.push(role);
    }

    /// Whether a row passes, reading only its `status` and `role`.
    fn matches(&self, row: &str) -> bool {
        let (status, role) = status_and_role(row);
        any_of(&self.statuses, status.as_ref()) && any_of(&self.roles, role.as_ref())
    }

    pub(crate) fn filter(&self) -> Option<Filter> {
        if self.statuses.is_empty() && self.roles.is_empty() {
            return None;
        }
        let criteria = self.clone();
        Some(Arc::new(move |row: &str| criteria.matches(row)))
    }
}

/// Whether `got` is one of `wanted`; an empty `wanted` lets everything through.
fn any_of<T: PartialEq>(wanted: &[T], got: Option<&T>) -> bool {
    wanted.is_empty() || got.is_some_and(|g| wanted.contains(g))
}

/// The `status` and `role` of a row, decoded alone (for client-side filters on the
/// pass-through path); a value that is not a string gives `None`.
pub(crate) fn status_and_role(raw: &str) -> (Option<Status>, Option<Role>) {
    fn attempt(raw: &str) -> serde_json::Result<(Option<Status>, Option<Role>)> {
        let mut de = serde_json::Deserializer::from_str(raw);
        de.deserialize_map(StatusAndRole)
    }
    match attempt(raw) {
        Ok(found) => found,
        Err(_) => match replace_lone_surrogates(raw) {
            Cow::Owned(fixed) => attempt(&fixed).unwrap_or((None, None)),
            Cow::Borrowed(_) => (None, None),
        },
    }
}

struct StatusAndRole;

impl<'de> Visitor<'de> for StatusAndRole {
    type Value = (Option<Status>, Option<Role>);

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a participant object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let (mut status, mut role) = (None, None);
        while let Some(key) = map.next_key::<Cow<'de, str>>()? {
            match key.as_ref() {
                "status" => status = map.next_value::<AnyStr>()?.0.map(|s| Status::from(&*s)),
                "role" => role = map.next_value::<AnyStr>()?.0.map(|s| Role::from(&*s)),
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok((status, role))
    }
}

/// A string value, borrowed when it can be; any other value is skipped and gives `None`.
struct AnyStr<'de>(Option<Cow<'de, str>>);

impl<'de> Deserialize<'de> for AnyStr<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(AnyStrVisitor)
    }
}

struct AnyStrVisitor;

impl<'de> Visitor<'de> for AnyStrVisitor {
    type Value = AnyStr<'de>;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("any value")
    }

    fn visit_borrowed_str<E: de::Error>(self, s: &'de str) -> Result<Self::Value, E> {
        Ok(AnyStr(Some(Cow::Borrowed(s))))
    }

    fn visit_str<E: de::Error>(self, s: &str) -> Result<Self::Value, E> {
        Ok(AnyStr(Some(Cow::Owned(s.to_owned()))))
    }

    fn visit_string<E: de::Error>(self, s: String) -> Result<Self::Value, E> {
        Ok(AnyStr(Some(Cow::Owned(s))))
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
        Ok(AnyStr(None))
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
        Ok(AnyStr(None))
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
        Ok(AnyStr(None))
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
        Ok(AnyStr(None))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(AnyStr(None))
    }

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(AnyStr(None))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(AnyStr(None))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(AnyStr(None))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_and_role_read_only_those_keys() {
        assert_eq!(
            status_and_role(
                r#"{"a":{"status":"x"},"status":"in_meeting","role":"co-host","n":1e400}"#
            ),
            (Some(Status::InMeeting), Some(Role::Other("co-host".into())))
        );
        assert_eq!(
            status_and_role(r#"{"status":5,"role":{"a":[1]}}"#),
            (None, None)
        );
        assert_eq!(
            status_and_role(r#"{"status":"in\u005fmeeting","user_name":"\ud83d","role":"host"}"#),
            (Some(Status::InMeeting), Some(Role::Host))
        );
        assert_eq!(status_and_role("{}"), (None, None));
    }
}
