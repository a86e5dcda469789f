//! `DATABASE_URL` taken apart, so `partnernet migrate` can create the database it names.

use anyhow::Context;

/// `postgres://u:p@host:5432/partnernet?sslmode=require` becomes the URL of the server's
/// `postgres` database (same credentials and options) and the name `partnernet`.
pub fn split(url: &str) -> anyhow::Result<(String, String)> {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (url, None),
    };
    let (_, after_scheme) = base
        .split_once("://")
        .context("DATABASE_URL must look like postgres://user@host:port/database")?;
    let (_, name) = after_scheme
        .split_once('/')
        .context("DATABASE_URL names no database (postgres://user@host:port/database)")?;
    anyhow::ensure!(
        !name.is_empty() && !name.contains('/'),
        "DATABASE_URL names no database (postgres://user@host:port/database)"
    );
    let server = &base[..base.len() - name.len()];
    let admin = match query {
        Some(query) => format!("{server}postgres?{query}"),
        None => format!("{server}postgres"),
    };
    let name = percent_decode(name)?;
    Ok((admin, name))
}

/// Database names may be percent-encoded in a URL (`my%20db`).
fn percent_decode(raw: &str) -> anyhow::Result<String> {
    let mut bytes = Vec::with_capacity(raw.len());
    let mut input = raw.bytes();
    while let Some(b) = input.next() {
        if b == b'%' {
            let hex = [input.next(), input.next()];
            let [Some(hi), Some(lo)] = hex else {
                anyhow::bail!("DATABASE_URL: bad percent-encoding in the database name");
            };
            let digits = std::str::from_utf8(&[hi, lo])
                .ok()
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .context("DATABASE_URL: bad percent-encoding in the database name")?;
            bytes.push(digits);
        } else {
            bytes.push(b);
        }
    }
    String::from_utf8(bytes).context("DATABASE_URL: the database name is not UTF-8")
}

#[cfg(test)]
mod tests {
    use super::split;

    #[test]
    fn the_admin_url_keeps_credentials_and_options_and_names_the_postgres_database() {
        let (admin, name) =
            split("postgres://pn:secret@db:5432/partnernet?sslmode=require").expect("valid");
        assert_eq!(
            admin,
            "postgres://pn:secret@db:5432/postgres?sslmode=require"
        );
        assert_eq!(name, "partnernet");
    }

    #[test]
    fn a_percent_encoded_database_name_is_decoded() {
        let (admin, name) = split("postgres://127.0.0.1/my%20db").expect("valid");
        assert_eq!(admin, "postgres://127.0.0.1/postgres");
        assert_eq!(name, "my db");
    }

    #[test]
    fn a_url_without_a_database_is_refused() {
        assert!(split("postgres://127.0.0.1:5432").is_err());
        assert!(split("postgres://127.0.0.1:5432/").is_err());
        assert!(split("not a url").is_err());
    }
}
