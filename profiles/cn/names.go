package cn

import "unicode"

// IsHanName reports whether s is a name part written in Han characters:
// non-empty, only Han characters and the middle dot (·) of transcribed
// minority and foreign names (阿依古丽·买买提). Such a name is written
// family name first, without spaces.
func IsHanName(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if !unicode.Is(unicode.Han, r) && r != '·' {
			return false
		}
	}
	return true
}
