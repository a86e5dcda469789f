//! Pagination links: "Previous" and "Next" pages of a list, keeping the list's filters.

use super::escape::{escape, url_encode};

/// Rows per page of a paged list.
pub const PAGE_SIZE: usize = 25;

/// `path?filters&page=N` for page `page` (1-based); `filters` are (name, value) pairs.
pub fn page_url(path: &str, filters: &[(&str, &str)], page: usize) -> String {
    let mut query: Vec<String> = filters
        .iter()
        .filter(|(_, value)| !value.is_empty())
        .map(|(name, value)| format!("{name}={}", url_encode(value)))
        .collect();
    if page > 1 {
        query.push(format!("page={page}"));
    }
    if query.is_empty() {
        path.to_string()
    } else {
        format!("{path}?{}", query.join("&"))
    }
}

/// The links of page `page`, with a next page when `has_next`.
pub fn links(path: &str, filters: &[(&str, &str)], page: usize, has_next: bool) -> String {
    let mut out = String::from("<nav class=\"pager\" aria-label=\"Pages\">");
    if page > 1 {
        out.push_str(&format!(
            "<a rel=\"prev\" id=\"page-prev\" href=\"{}\">Previous page</a>",
            escape(&page_url(path, filters, page - 1))
        ));
    }
    out.push_str(&format!("<span>Page {page}</span>"));
    if has_next {
        out.push_str(&format!(
            "<a rel=\"next\" id=\"page-next\" href=\"{}\">Next page</a>",
            escape(&page_url(path, filters, page + 1))
        ));
    }
    out.push_str("</nav>");
    out
}

/// The rows of page `page` of `rows`, and whether a next page exists.
pub fn slice<T>(rows: Vec<T>, page: usize) -> (Vec<T>, bool) {
    let start = page.saturating_sub(1).saturating_mul(PAGE_SIZE);
    let has_next = rows.len() > start.saturating_add(PAGE_SIZE);
    (
        rows.into_iter().skip(start).take(PAGE_SIZE).collect(),
        has_next,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_urls_keep_the_filters() {
        assert_eq!(
            page_url("/connections", &[("status", "Sent"), ("q", "")], 2),
            "/connections?status=Sent&page=2"
        );
        assert_eq!(page_url("/connections", &[], 1), "/connections");
    }

    #[test]
    fn slices_know_whether_more_follow() {
        let rows: Vec<usize> = (0..30).collect();
        let (first, more) = slice(rows.clone(), 1);
        assert_eq!((first.len(), more), (25, true));
        let (second, more) = slice(rows, 2);
        assert_eq!((second, more), ((25..30).collect(), false));
    }
}
