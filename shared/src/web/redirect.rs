//! Redirects, and the `next` address a sign-in returns to: always a path of this site, never an
//! absolute URL (no open redirect).

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

/// Where to go when no (acceptable) `next` is given.
pub const HOME: &str = "/connections";

/// `next` if it is a relative path of this site (`/…`, not `//host` or `/\host`), else [`HOME`].
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(path)
            if path.starts_with('/')
                && !path.starts_with("//")
                && !path.starts_with("/\\")
                && path.len() <= 2000
                && !path.chars().any(|c| c.is_control()) =>
        {
            path.to_string()
        }
        _ => HOME.to_string(),
    }
}

/// 303 See Other to a path of this site.
pub fn see_other(path: &str) -> Response {
    (
        StatusCode::SEE_OTHER,
        [(header::LOCATION, path.to_string())],
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_paths_of_this_site_are_followed() {
        assert_eq!(safe_next(Some("/connections/1?x=y")), "/connections/1?x=y");
        for bad in [
            "https://evil.example/",
            "//evil.example/",
            "/\\evil.example",
            "connections",
            "/a\nb",
        ] {
            assert_eq!(safe_next(Some(bad)), HOME, "{bad:?}");
        }
        assert_eq!(safe_next(None), HOME);
    }
}
