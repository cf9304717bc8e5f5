package cn

import (
	"errors"
	"fmt"
	"strings"
)

// Errors of [ParseResidentID]; callers branch on them with errors.Is.
var (
	ErrIDLength     = errors.New("cn: resident ID must have 15 or 18 characters")
	ErrIDCharacter  = errors.New("cn: resident ID has a character other than a digit (or a final X)")
	ErrIDCheckDigit = errors.New("cn: resident ID check digit does not match (ISO 7064 MOD 11-2)")
	ErrIDBirthDate  = errors.New("cn: resident ID birth date is not a valid date")
	ErrIDRegion     = errors.New("cn: resident ID region code has an unknown province")
)

// Sex is the FHIR administrative gender derived from a resident ID.
type Sex string

// Sexes as FHIR administrative-gender codes.
const (
	Male   Sex = "male"
	Female Sex = "female"
)

// Date is a calendar date.
type Date struct{ Year, Month, Day int }

// String formats the date as a FHIR date (YYYY-MM-DD).
func (d Date) String() string { return fmt.Sprintf("%04d-%02d-%02d", d.Year, d.Month, d.Day) }

// IsZero reports whether d is the zero date.
func (d Date) IsZero() bool { return d == Date{} }

// ResidentID is a parsed GB 11643 citizen identity number.
type ResidentID struct {
	Number    string // the 18-character form, final X upper-case
	Region    string // first six digits, GB/T 2260 code of first registration
	Birth     Date
	Sex       Sex          // from the parity of the sequence code (17th digit)
	Upgraded  bool         // given as a 15-digit (GB 11643-1989) number
	RegionFit RegionStatus // RegionCurrent or RegionUnknown (obsolete codes are tolerated)
}

// NormalizeResidentID folds full-width digits and letters, drops spaces and
// hyphens, and upper-cases a final x. It does not validate.
func NormalizeResidentID(s string) string {
	var b strings.Builder
	b.Grow(18)
	for _, r := range s {
		switch {
		case r >= '０' && r <= '９':
			r = r - '０' + '0'
		case r == 'ｘ' || r == 'Ｘ' || r == 'x':
			r = 'X'
		case r == ' ' || r == '\u3000' || r == '-' || r == '\t':
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

var weights = [17]int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}

// CheckDigit returns the ISO 7064 MOD 11-2 check character of the first 17
// digits of an 18-digit resident ID ('0'..'9' or 'X').
func CheckDigit(first17 string) (byte, error) {
	if len(first17) != 17 {
		return 0, ErrIDLength
	}
	sum := 0
	for i := 0; i < 17; i++ {
		d := first17[i]
		if d < '0' || d > '9' {
			return 0, ErrIDCharacter
		}
		sum += int(d-'0') * weights[i]
	}
	return "10X98765432"[sum%11], nil
}

// Upgrade15 turns a 15-digit resident ID (GB 11643-1989, year in two digits)
// into its 18-digit form: century 19 inserted before the year, check digit
// appended. All 15-digit IDs were issued to people born in the 1900s.
func Upgrade15(id15 string) (string, error) {
	if len(id15) != 15 {
		return "", ErrIDLength
	}
	for i := 0; i < 15; i++ {
		if id15[i] < '0' || id15[i] > '9' {
			return "", ErrIDCharacter
		}
	}
	first17 := id15[:6] + "19" + id15[6:]
	c, err := CheckDigit(first17)
	if err != nil {
		return "", err
	}
	return first17 + string(c), nil
}

// ParseResidentID normalises, upgrades (15 → 18 digits) and validates a
// resident ID. Errors wrap the Err* sentinels.
func ParseResidentID(s string) (ResidentID, error) {
	n := NormalizeResidentID(s)
	var id ResidentID
	switch len(n) {
	case 15:
		up, err := Upgrade15(n)
		if err != nil {
			return id, err
		}
		n, id.Upgraded = up, true
	case 18:
		for i := 0; i < 17; i++ {
			if n[i] < '0' || n[i] > '9' {
				return id, ErrIDCharacter
			}
		}
		c, err := CheckDigit(n[:17])
		if err != nil {
			return id, err
		}
		if last := n[17]; last != c {
			if last != 'X' && (last < '0' || last > '9') {
				return id, ErrIDCharacter
			}
			return id, ErrIDCheckDigit
		}
	default:
		return id, ErrIDLength
	}
	id.Number = n
	id.Region = n[:6]
	id.Birth = Date{atoi(n[6:10]), atoi(n[10:12]), atoi(n[12:14])}
	if !ValidDate(id.Birth) {
		return id, fmt.Errorf("%w: %s", ErrIDBirthDate, n[6:14])
	}
	if (n[16]-'0')%2 == 1 {
		id.Sex = Male
	} else {
		id.Sex = Female
	}
	id.RegionFit = CheckRegion(id.Region)
	if id.RegionFit == RegionInvalid {
		return id, fmt.Errorf("%w: %s", ErrIDRegion, id.Region)
	}
	return id, nil
}

// ValidDate reports whether d is a real calendar date between 1880 and 2199.
func ValidDate(d Date) bool {
	if d.Year < 1880 || d.Year > 2199 || d.Month < 1 || d.Month > 12 || d.Day < 1 {
		return false
	}
	days := [13]int{0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31}[d.Month]
	if d.Month == 2 && d.Year%4 == 0 && (d.Year%100 != 0 || d.Year%400 == 0) {
		days = 29
	}
	return d.Day <= days
}

func atoi(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		n = n*10 + int(s[i]-'0')
	}
	return n
}

// MakeResidentID builds a valid 18-digit ID from a region code, a birth date
// and a three-digit sequence (odd for men, even for women): for test data
// and examples.
func MakeResidentID(region string, birth Date, seq int) string {
	first17 := fmt.Sprintf("%s%04d%02d%02d%03d", region, birth.Year, birth.Month, birth.Day, seq%1000)
	c, _ := CheckDigit(first17)
	return first17 + string(c)
}

// Downgrade18 returns the 15-digit form of an 18-digit ID of someone born in
// the 1900s (for test data: records that still carry the old number).
func Downgrade18(id18 string) (string, bool) {
	if len(id18) != 18 || id18[6:8] != "19" {
		return "", false
	}
	return id18[:6] + id18[8:17], true
}
