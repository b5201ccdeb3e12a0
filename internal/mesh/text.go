package mesh

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Names people read (account names, token names) are shown in lists, logs
// and approval requests. Characters that render as nothing or reorder the
// text around them let one name pass for another, so they are refused, and
// names are kept in NFC so that one name has one spelling.

// invisibleRune reports a bidirectional control or a zero-width character.
func invisibleRune(r rune) bool {
	switch {
	case r >= 0x202A && r <= 0x202E, // LRE, RLE, PDF, LRO, RLO
		r >= 0x2066 && r <= 0x2069,            // LRI, RLI, FSI, PDI
		r == 0x200E, r == 0x200F, r == 0x061C, // LRM, RLM, ALM
		r >= 0x200B && r <= 0x200D, // zero-width space, non-joiner, joiner
		r == 0x2060, r == 0xFEFF:   // word joiner, zero-width no-break space (BOM)
		return true
	}
	return false
}

// CheckDisplayText reports the first character of s that a name may not
// hold: a control character (category Cc), a bidirectional control or a
// zero-width character, or bytes that are not UTF-8. It returns "" when s is clean.
func CheckDisplayText(s string) string {
	if !utf8.ValidString(s) {
		return "bytes that are not UTF-8"
	}
	for _, r := range s {
		switch {
		case unicode.Is(unicode.Cc, r):
			return "control characters"
		case invisibleRune(r):
			return "bidirectional controls or zero-width characters"
		}
	}
	return ""
}

// CleanDisplayName checks a display name of at most max bytes and returns it
// in NFC. It refuses an empty name, control characters, bidirectional
// controls and zero-width characters, naming field. Errors: EINVALID.
func CleanDisplayName(field, s string, max int) (string, error) {
	if s == "" {
		return "", Invalid(field, "is required")
	}
	if bad := CheckDisplayText(s); bad != "" {
		return "", Invalid(field, "must not hold %s", bad)
	}
	s = norm.NFC.String(s)
	if len(s) > max {
		return "", Invalid(field, "is longer than %d characters", max)
	}
	return s, nil
}

// CheckSingleLine refuses control characters other than tab (NUL, CR, LF,
// ...) in a one-line text such as a column type or a description, as Glue's
// single-line string pattern does. Errors: EINVALID.
func CheckSingleLine(field, s string) error {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 && c != '\t' || c == 0x7f {
			return Invalid(field, "must not hold control characters such as NUL, CR or LF")
		}
	}
	if containsC1(s) {
		return Invalid(field, "must not hold control characters such as NUL, CR or LF")
	}
	return nil
}

// CheckText refuses, in a free text of several lines such as a
// justification or a comment, bytes that are not UTF-8 and control
// characters other than tab, line feed and carriage return (NUL, ESC, DEL,
// ...): text is read in mail, logs and terminals, and PostgreSQL refuses NUL
// and bad bytes outright where SQLite keeps them. Errors: EINVALID.
func CheckText(field, s string) error {
	if !utf8.ValidString(s) {
		return Invalid(field, "must be UTF-8 text")
	}
	for _, r := range s {
		if unicode.Is(unicode.Cc, r) && r != '\t' && r != '\n' && r != '\r' {
			return Invalid(field, "must not hold control characters such as NUL (tab and line breaks are fine)")
		}
	}
	return nil
}

// containsC1 reports a C1 control character (U+0080 to U+009F).
func containsC1(s string) bool {
	for i := 0; i < len(s); i++ {
		// U+0080..U+009F encode as 0xC2 0x80..0x9F
		if s[i] == 0xC2 && i+1 < len(s) && s[i+1] >= 0x80 && s[i+1] <= 0x9F {
			return true
		}
	}
	return false
}

// confusables folds letters that look like Latin ones, and digits and marks
// that look like Latin letters, to those letters. It is the part of Unicode's
// confusables (UTS #39) that matters for names: Cyrillic and Greek letters,
// a few Latin look-alikes and the digits 0 and 1.
var confusables = map[rune]string{
	// Cyrillic lowercase
	'а': "a", 'в': "b", 'е': "e", 'ё': "e", 'г': "r", 'һ': "h", 'і': "l", 'ї': "l", 'ј': "j", 'к': "k",
	'м': "m", 'н': "h", 'о': "o", 'п': "n", 'р': "p", 'с': "c", 'т': "t", 'у': "y", 'х': "x",
	'ѕ': "s", 'ԁ': "d", 'ԛ': "q", 'ԝ': "w", 'ь': "b", 'ѵ': "v", 'ү': "y", 'ӏ': "l",
	// Cyrillic uppercase
	'А': "a", 'В': "b", 'Е': "e", 'Ё': "e", 'Н': "h", 'І': "l", 'Ї': "l", 'Ј': "j", 'К': "k", 'М': "m",
	'О': "o", 'Р': "p", 'С': "c", 'Т': "t", 'У': "y", 'Х': "x", 'Ѕ': "s", 'Ԁ': "d", 'Ԛ': "q",
	'Ԝ': "w", 'Ү': "y", 'Ӏ': "l",
	// Greek lowercase
	'α': "a", 'β': "b", 'γ': "y", 'ε': "e", 'η': "n", 'ι': "l", 'κ': "k", 'ν': "v", 'ο': "o",
	'ρ': "p", 'τ': "t", 'υ': "u", 'χ': "x", 'ω': "w",
	// Greek uppercase
	'Α': "a", 'Β': "b", 'Ε': "e", 'Ζ': "z", 'Η': "h", 'Ι': "l", 'Κ': "k", 'Μ': "m", 'Ν': "n",
	'Ο': "o", 'Ρ': "p", 'Τ': "t", 'Υ': "y", 'Χ': "x",
	// Latin and ASCII look-alikes; capital I is an l in most sans-serif faces
	'I': "l", 'ı': "l", 'ℓ': "l", '|': "l", '1': "l", '0': "o",
	// letters drawn as two: a skeleton has the two-letter form, so either spelling matches
	'm': "rn", 'w': "vv",
}

// NameSkeleton returns the form of a name that look-alikes share: NFKC
// (full-width and ligature forms become plain letters), letters and digits
// that look like Latin letters folded to them, then lower case. Two names
// with the same skeleton can pass for each other ("alice", "Alice", Cyrillic
// "аlice", "aIice").
func NameSkeleton(s string) string {
	s = norm.NFKC.String(s)
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		if invisibleRune(r) {
			continue
		}
		if f, ok := confusables[r]; ok {
			b.WriteString(f)
			continue
		}
		r = unicode.ToLower(r)
		if f, ok := confusables[r]; ok {
			b.WriteString(f)
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}
