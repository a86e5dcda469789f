//! The JavaScript the browser helpers run in the page. Each returns plain JSON (or an element);
//! the Rust side decides what is a failure and words it.

/// Text with its runs of whitespace made one space, trimmed (as a reader sees it).
const NORMALISE: &str = "const norm = s => (s || '').replace(/\\s+/g, ' ').trim();";

/// The accessible name of a control, from what names it for assistive technology:
/// `aria-labelledby`, `aria-label`, its `<label>`s, a button's text or value, an image's alt,
/// `title`. A placeholder is not a name (it disappears once something is typed).
const ACCESSIBLE_NAME: &str = r#"
const labelText = label => {
  const copy = label.cloneNode(true);
  copy.querySelectorAll('input, select, textarea, button').forEach(c => c.remove());
  return norm(copy.textContent);
};
const accessibleName = el => {
  const ids = (el.getAttribute('aria-labelledby') || '').split(/\s+/).filter(Boolean);
  const byIds = norm(ids.map(id => { const t = document.getElementById(id); return t ? t.textContent : ''; }).join(' '));
  if (byIds) return byIds;
  const aria = norm(el.getAttribute('aria-label'));
  if (aria) return aria;
  const labels = norm([...(el.labels || [])].map(labelText).join(' '));
  if (labels) return labels;
  const tag = el.tagName.toLowerCase();
  const type = (el.getAttribute('type') || '').toLowerCase();
  if (tag === 'button') {
    const text = norm(el.textContent) || norm([...el.querySelectorAll('img[alt]')].map(i => i.alt).join(' '));
    if (text) return text;
  }
  if (tag === 'input' && ['submit', 'reset', 'button'].includes(type)) {
    if (norm(el.value)) return norm(el.value);
    if (type === 'submit') return 'Submit';
    if (type === 'reset') return 'Reset';
  }
  if (tag === 'input' && type === 'image' && norm(el.alt)) return norm(el.alt);
  return norm(el.getAttribute('title'));
};
"#;

/// `arguments[0]`: label text. Returns `{element}` for the one control of that label (exact
/// text first, else the labels containing it), or `{error}` saying what was found instead.
pub fn control_by_label() -> String {
    format!(
        "{NORMALISE}{ACCESSIBLE_NAME}{}",
        r#"
const want = norm(arguments[0]);
const labels = [...document.querySelectorAll('label')].filter(l => l.control);
let found = labels.filter(l => labelText(l) === want);
if (found.length === 0) found = labels.filter(l => labelText(l).includes(want));
if (found.length === 1) return { element: found[0].control };
const all = labels.map(labelText);
if (found.length === 0) return { error: `no <label> reads "${want}"; the labels are: ${JSON.stringify(all)}` };
return { error: `${found.length} labels match "${want}": ${JSON.stringify(found.map(labelText))}` };
"#
    )
}

/// `arguments[0]`: the CSS selector of the candidates, `arguments[1]`: their text. Returns
/// `{element}` for the one visible candidate whose accessible name (or text) is that text,
/// else `{error}` listing what there is.
pub fn clickable_by_text() -> String {
    format!(
        "{NORMALISE}{ACCESSIBLE_NAME}{}",
        r#"
const [selector, wanted] = [arguments[0], norm(arguments[1])];
const visible = el => el.getClientRects().length > 0 && getComputedStyle(el).visibility !== 'hidden';
const candidates = [...document.querySelectorAll(selector)].filter(visible);
const nameOf = el => accessibleName(el) || norm(el.textContent);
const found = candidates.filter(el => nameOf(el) === wanted);
if (found.length === 1) return { element: found[0] };
const names = candidates.map(nameOf);
if (found.length === 0) return { error: `none reads "${wanted}"; there are: ${JSON.stringify(names)}` };
return { error: `${found.length} read "${wanted}"` };
"#
    )
}

/// Returns a description of every control (input other than hidden, select, textarea, button)
/// that has no accessible name.
pub fn unlabelled_controls() -> String {
    format!(
        "{NORMALISE}{ACCESSIBLE_NAME}{}",
        r#"
const controls = [...document.querySelectorAll('input, select, textarea, button')]
  .filter(el => (el.getAttribute('type') || '').toLowerCase() !== 'hidden');
return controls.filter(el => !accessibleName(el)).map(el => el.outerHTML.slice(0, 200));
"#
    )
}

/// Returns `{name, tag}` of the focused element, or null when nothing (the body) has focus.
pub fn focused() -> String {
    format!(
        "{NORMALISE}{ACCESSIBLE_NAME}{}",
        r#"
const el = document.activeElement;
if (!el || el === document.body || el === document.documentElement) return null;
return { name: accessibleName(el) || norm(el.textContent), tag: el.tagName.toLowerCase() };
"#
    )
}

/// Returns the layout width, the width of the content, and the elements reaching past the
/// right edge or spilling out of their own box (the likely causes of a horizontal scroll).
pub const HORIZONTAL_OVERFLOW: &str = r#"
const root = document.documentElement;
const width = root.clientWidth;
const overflows = el => el.getBoundingClientRect().right > width + 1
  || (el.scrollWidth > el.clientWidth + 1 && getComputedStyle(el).overflowX === 'visible');
const wide = [...document.body.querySelectorAll('*')]
  .filter(overflows)
  .slice(0, 5)
  .map(el => el.outerHTML.slice(0, 160));
return { width, content: Math.max(root.scrollWidth, document.body.scrollWidth), wide };
"#;

/// Whether the document has finished loading.
pub const READY: &str = "return document.readyState === 'complete';";

/// What the page says, as a reader sees it.
pub const PAGE_TEXT: &str = "return document.body ? document.body.innerText : '';";
