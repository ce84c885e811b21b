//! Text in columns: widths in terminal columns, where a Chinese character takes two
//! (`unicode-width`), so that tables with Chinese labels and names stay aligned.

use unicode_width::UnicodeWidthStr;

/// How many terminal columns `text` takes (`姓名` is 4, `name` is 4).
pub fn width(text: &str) -> usize {
    UnicodeWidthStr::width(text)
}

/// `text` followed by spaces up to `cols` columns (nothing added when it is already as wide).
pub fn pad(text: &str, cols: usize) -> String {
    let mut out = String::with_capacity(text.len() + cols);
    out.push_str(text);
    out.extend(std::iter::repeat_n(' ', cols.saturating_sub(width(text))));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chinese_characters_are_two_columns() {
        assert_eq!(width("姓名"), 4);
        assert_eq!(width("社会保障号码"), 12);
        assert_eq!(width("name"), 4);
        assert_eq!(pad("姓名", 6), "姓名  ");
        assert_eq!(pad("name", 6), "name  ");
        assert_eq!(pad("社会保障号码", 6), "社会保障号码");
        assert_eq!(width(&pad("原卡 Old card", 28)), 28);
    }
}
