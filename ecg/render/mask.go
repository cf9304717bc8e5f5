package render

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaskName keeps the first character of a name and replaces every other
// letter with "*", keeping spaces and name separators ("^", "=", "·"):
// 王小东 → 王**, 欧阳娜娜 → 欧***, "Wang XiaoDong" → "W*** ********".
// GB/T 35273-2020 asks that personal information shown on screens and
// paper be de-identified but prescribes no pattern; this is the common
// one. A one-character name is returned as is.
func MaskName(name string) string {
	name = strings.TrimSpace(name)
	if name == "" {
		return ""
	}
	var b strings.Builder
	first := true
	for _, r := range name {
		switch {
		case first && !isSep(r):
			b.WriteRune(r)
			first = false
		case isSep(r):
			b.WriteRune(r)
		default:
			b.WriteByte('*')
		}
	}
	return b.String()
}

func isSep(r rune) bool {
	return unicode.IsSpace(r) || r == '^' || r == '=' || r == '·' || r == '.' || r == '-'
}

// MaskResidentID masks a resident identity number (GB 11643-1999): an
// 18-character ID keeps its 6-digit address code and its last 4 characters
// (110101199003078515 → 110101********8515), so the birth date is hidden;
// a 15-digit ID keeps the same parts (6 + 5 × "*" + 4). Any other
// identifier goes to [MaskID].
func MaskResidentID(id string) string {
	id = strings.TrimSpace(id)
	if isResidentID(id) {
		return id[:6] + strings.Repeat("*", len(id)-10) + id[len(id)-4:]
	}
	return MaskID(id)
}

// isResidentID reports the shape of a GB 11643 number: 17 digits and a
// digit or X, or the older 15 digits. The check digit is not verified:
// masking must not depend on whether the number is valid.
func isResidentID(s string) bool {
	switch len(s) {
	case 18:
		return allDigits(s[:17]) && (isDigit(s[17]) || s[17] == 'X' || s[17] == 'x')
	case 15:
		return allDigits(s)
	}
	return false
}

// MaskID masks an identifier that is not a resident ID (a medical record
// or card number): the middle half of its characters become "*", the
// first and last quarter stay (rounded down, at most 4 each); identifiers
// of 4 characters or fewer are masked whole.
func MaskID(id string) string {
	id = strings.TrimSpace(id)
	n := utf8.RuneCountInString(id)
	if n <= 4 {
		return strings.Repeat("*", n)
	}
	keep := min(n/4, 4)
	r := []rune(id)
	return string(r[:keep]) + strings.Repeat("*", n-2*keep) + string(r[n-keep:])
}

// MaskPhone masks a telephone number: a mainland mobile number (11 digits
// starting with 1, optionally after +86 or 86) keeps its first 3 and last
// 4 digits (13812345678 → 138****5678); other numbers keep their last 4
// digits. Separators ("-", " ", "+") are kept.
func MaskPhone(phone string) string {
	phone = strings.TrimSpace(phone)
	digits := 0
	for i := 0; i < len(phone); i++ {
		if isDigit(phone[i]) {
			digits++
		}
	}
	local := strings.TrimPrefix(strings.TrimPrefix(phone, "+86"), "86")
	if len(local) == 11 && local[0] == '1' && allDigits(local) {
		return phone[:len(phone)-11] + local[:3] + "****" + local[7:]
	}
	var b strings.Builder
	seen := 0
	for i := 0; i < len(phone); i++ {
		c := phone[i]
		if isDigit(c) {
			seen++
			if seen <= digits-4 {
				c = '*'
			}
		}
		b.WriteByte(c)
	}
	return b.String()
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return s != ""
}
