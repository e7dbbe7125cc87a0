//! The bridge from the request layer to the core: a [`FetchPage`] for one list endpoint.

use std::sync::Arc;

use reqwest::Url;

use super::FetchPage;
use crate::envelope;
use crate::error::Error;
use crate::http::Transport;
use crate::rate_limit::Label;

/// Fetches the pages of the list at `url` (its first page's URL, or why it cannot be
/// sent), split on its `array` member, under `label`'s rate limit. A request that cannot be
/// sent fails on the first fetch, so that it is an error of a stream's first poll and never
/// a panic or a request.
pub(crate) fn fetcher(
    transport: &Arc<Transport>,
    url: std::result::Result<Url, String>,
    array: &'static str,
    label: Label,
) -> FetchPage {
    let transport = transport.clone();
    Arc::new(move |token, number| {
        let transport = transport.clone();
        let url = url.clone();
        Box::pin(async move {
            let mut url = url.map_err(Error::InvalidRequest)?;
            if let Some(token) = token {
                url.query_pairs_mut().append_pair("next_page_token", &token);
            }
            let body = transport.get_page(url, number, label).await?;
            let page = envelope::split(body, array, number)?;
            tracing::debug!(page = number, items = page.rows.len(), array, "page split");
            Ok(page)
        })
    })
}
