use shared::testing::ReceivedEmail;

/// A received email, decoded.
#[derive(Debug, Clone)]
pub struct Email {
    pub from: String,
    pub to: String,
    pub subject: String,
    pub message_id: String,
    pub reply_to: Option<String>,
    pub text: String,
    pub html: String,
    /// Every header name, as sent.
    pub header_names: Vec<String>,
}

pub fn decode(received: &ReceivedEmail) -> Email {
    let parsed = mailparse::parse_mail(received.raw.as_bytes()).expect("a MIME message");
    let header = |name: &str| {
        parsed
            .headers
            .iter()
            .find(|h| h.get_key().eq_ignore_ascii_case(name))
            .map(|h| h.get_value())
    };
    let mut text = String::new();
    let mut html = String::new();
    for part in parsed.parts() {
        match part.ctype.mimetype.as_str() {
            "text/plain" => text = part.get_body().expect("a text body"),
            "text/html" => html = part.get_body().expect("an html body"),
            _ => {}
        }
    }
    Email {
        from: header("From").unwrap_or_default(),
        to: header("To").unwrap_or_default(),
        subject: header("Subject").unwrap_or_default(),
        message_id: header("Message-ID").unwrap_or_default(),
        reply_to: header("Reply-To"),
        text,
        html,
        header_names: parsed.headers.iter().map(|h| h.get_key()).collect(),
    }
}
