//! Text fields: [`Field`] wraps tui-input for ordinary text; [`SecretField`] holds the merchant
//! passcode in one pre-allocated, zeroized buffer (tui-input keeps its value and a yank buffer in
//! private `String`s that reallocate as they grow and cannot be wiped, so it never sees a code).

use ratatui::crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use secrecy::SecretString;
use tui_input::Input;
use tui_input::backend::crossterm::to_input_request;
use zeroize::{Zeroize, Zeroizing};

/// A single-line text field.
#[derive(Debug, Clone, Default)]
pub struct Field {
    input: Input,
}

impl Field {
    pub fn new(value: &str) -> Field {
        Field {
            input: Input::new(value.to_string()),
        }
    }

    pub fn value(&self) -> &str {
        self.input.value()
    }

    pub fn trimmed(&self) -> &str {
        self.input.value().trim()
    }

    pub fn is_empty(&self) -> bool {
        self.trimmed().is_empty()
    }

    pub fn set(&mut self, value: &str) {
        self.input = Input::new(value.to_string());
    }

    pub fn clear(&mut self) {
        self.input.reset();
    }

    /// Cursor position in display columns, for the terminal cursor.
    pub fn cursor(&self) -> usize {
        self.input.visual_cursor()
    }

    /// Applies an editing key; true when the value changed.
    pub fn edit(&mut self, key: &KeyEvent) -> bool {
        let Some(req) = to_input_request(&Event::Key(*key)) else {
            return false;
        };
        self.input.handle(req).is_some_and(|changed| changed.value)
    }

    /// Inserts pasted text (newlines dropped).
    pub fn paste(&mut self, text: &str) -> bool {
        let mut changed = false;
        for c in text.chars().filter(|c| !c.is_control()) {
            changed |= self
                .input
                .handle(tui_input::InputRequest::InsertChar(c))
                .is_some_and(|s| s.value);
        }
        changed
    }
}

/// Longest passcode accepted, in bytes: the buffer is allocated once at this size so typing
/// never reallocates (a reallocation would leave an unwiped copy behind).
const SECRET_CAP: usize = 128;

/// The passcode field: shown as `•`, wiped on [`SecretField::take`] and on drop.
pub struct SecretField {
    buf: Zeroizing<String>,
}

impl Default for SecretField {
    fn default() -> Self {
        SecretField {
            buf: Zeroizing::new(String::with_capacity(SECRET_CAP)),
        }
    }
}

impl std::fmt::Debug for SecretField {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SecretField({} chars)", self.len())
    }
}

impl SecretField {
    pub fn len(&self) -> usize {
        self.buf.chars().count()
    }

    pub fn is_empty(&self) -> bool {
        self.buf.trim().is_empty()
    }

    /// What the screen shows: one `•` per character.
    pub fn masked(&self) -> String {
        "•".repeat(self.len())
    }

    /// Typing, Backspace and ctrl-u (clear); everything else is ignored. True when changed.
    pub fn edit(&mut self, key: &KeyEvent) -> bool {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        match key.code {
            KeyCode::Char('u') | KeyCode::Char('w') if ctrl => {
                let had = !self.buf.is_empty();
                self.clear();
                had
            }
            KeyCode::Char(c) if !ctrl && !key.modifiers.contains(KeyModifiers::ALT) => self.push(c),
            KeyCode::Backspace => {
                let popped = self.buf.pop().is_some();
                if popped {
                    // Wipe the byte(s) left in the spare capacity.
                    let len = self.buf.len();
                    let mut v = std::mem::take(&mut *self.buf).into_bytes();
                    v.spare_capacity_mut()
                        .iter_mut()
                        .for_each(|b| *b = std::mem::MaybeUninit::new(0));
                    v.truncate(len);
                    *self.buf = String::from_utf8(v).unwrap_or_default();
                }
                popped
            }
            _ => false,
        }
    }

    fn push(&mut self, c: char) -> bool {
        if c.is_control() || self.buf.len() + c.len_utf8() > SECRET_CAP {
            return false;
        }
        self.buf.push(c);
        true
    }

    pub fn paste(&mut self, text: &str) -> bool {
        let mut changed = false;
        for c in text.chars().filter(|c| !c.is_control()) {
            changed |= self.push(c);
        }
        changed
    }

    /// Hands the code over for sending and wipes the field.
    pub fn take(&mut self) -> SecretString {
        let secret = SecretString::from(self.buf.trim());
        self.clear();
        secret
    }

    pub fn clear(&mut self) {
        self.buf.zeroize();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;

    fn key(c: KeyCode) -> KeyEvent {
        KeyEvent::new(c, KeyModifiers::NONE)
    }

    #[test]
    fn secret_field_masks_takes_and_wipes() {
        let mut f = SecretField::default();
        for c in "123456".chars() {
            assert!(f.edit(&key(KeyCode::Char(c))));
        }
        assert!(f.edit(&key(KeyCode::Backspace)));
        assert_eq!(f.masked(), "•••••");
        assert!(!format!("{f:?}").contains("123"));
        let s = f.take();
        assert_eq!(s.expose_secret(), "12345");
        assert!(f.is_empty());
        assert_eq!(f.len(), 0);
    }

    #[test]
    fn secret_field_never_grows_past_its_buffer() {
        let mut f = SecretField::default();
        f.paste(&"x".repeat(500));
        assert_eq!(f.len(), SECRET_CAP);
        assert!(f.buf.capacity() >= SECRET_CAP);
    }

    #[test]
    fn field_edits_with_tui_input_keys() {
        let mut f = Field::new("25");
        assert!(f.edit(&key(KeyCode::Char('0'))));
        assert_eq!(f.value(), "250");
        assert!(f.edit(&key(KeyCode::Backspace)));
        assert!(!f.edit(&key(KeyCode::Tab)));
        assert_eq!(f.value(), "25");
    }
}
