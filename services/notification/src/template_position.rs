//! Where in a template's source a problem lies: its line and column (both 1-based, the column
//! in characters), so an author is pointed at the place to fix.

/// A place in a template's source.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    pub line: usize,
    pub column: usize,
}

/// The position of byte `offset` of `source`, if it falls on a character of it.
pub fn at_offset(source: &str, offset: usize) -> Option<Position> {
    if offset > source.len() || !source.is_char_boundary(offset) {
        return None;
    }
    let before = &source[..offset];
    let line_start = before.rfind('\n').map_or(0, |at| at + 1);
    Some(Position {
        line: before.matches('\n').count() + 1,
        column: before[line_start..].chars().count() + 1,
    })
}

/// The position of the first occurrence of `word` in `source`.
pub fn of_word(source: &str, word: &str) -> Option<Position> {
    at_offset(source, source.find(word)?)
}

/// The position a minijinja error points at in `source` (the template it names): from the
/// span it gives, or its line alone.
pub fn of_error(source: &str, err: &minijinja::Error) -> (Option<usize>, Option<usize>) {
    match err.range().and_then(|range| at_offset(source, range.start)) {
        Some(position) if err.line().is_none_or(|line| line == position.line) => {
            (Some(position.line), Some(position.column))
        }
        _ => (err.line(), None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_and_columns_count_from_one_in_characters() {
        let source = "Hello\nça {{ x }}";
        assert_eq!(
            of_word(source, "{{ x"),
            Some(Position { line: 2, column: 4 })
        );
        assert_eq!(at_offset(source, 0), Some(Position { line: 1, column: 1 }));
        assert_eq!(at_offset(source, 7), None, "inside the ç");
        assert_eq!(of_word(source, "absent"), None);
    }

    #[test]
    fn a_syntax_error_is_placed_at_its_token() {
        let source = "line one\nline {{ two";
        let mut env = minijinja::Environment::new();
        let err = env.add_template("t", source).expect_err("does not parse");
        let (line, column) = of_error(source, &err);
        assert_eq!(line, Some(2));
        assert!(column.is_some_and(|c| c >= 6), "{column:?}");
    }
}
