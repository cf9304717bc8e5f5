package empi

// Field is a compared attribute.
type Field int

// Fields compared by the probabilistic model.
const (
	FieldName Field = iota
	FieldBirthDate
	FieldSex
	FieldPhone
	FieldRegion
	FieldResidentID
	FieldMedicalInsurance
	FieldHealthCard
	numFields
)

var fieldNames = [numFields]string{"name", "birthDate", "sex", "phone", "region", "residentId", "medicalInsurance", "healthCard"}

func (f Field) String() string { return fieldNames[f] }

// Level is the outcome of comparing one field of two records. Level 0 is
// "missing" (one side has no value): it contributes no evidence. Levels go
// from the strongest agreement (1) to disagreement (the last).
type Level uint8

const missing Level = 0

// Name levels.
const (
	nameExact     Level = 1 + iota // same characters (after traditional → simplified)
	namePinyin                     // same toneless pinyin (homophone characters)
	nameHomophone                  // every character shares some reading (polyphones)
	nameTypo                       // one character differs and its pinyin is one letter away
	nameSwapGiven                  // same characters, given name order swapped
	namePartial                    // same surname, otherwise one character differs
	nameDifferent                  // anything else
	numNameLevels = nameDifferent + 1
)

// Birth date levels.
const (
	dobExact      Level = 1 + iota
	dobTransposed       // two digits swapped, or month and day swapped
	dobOneDigit         // one digit differs
	dobSameYear         // same year only
	dobDifferent
	numDobLevels = dobDifferent + 1
)

// Resident ID levels.
const (
	ridSame        Level = 1 + iota // same valid ID, consistent with both records' birth date and sex
	ridSameSuspect                  // same valid ID, inconsistent with a record (a guardian's ID?)
	ridNear                         // one is invalid and within one edit or transposition of the other
	ridDifferent                    // different
	numRidLevels   = ridDifferent + 1
)

// Two-valued levels (sex, phone, 医保, health card).
const (
	agree    Level = 1
	disagree Level = 2
)

// Region levels.
const (
	regionCounty Level = 1 + iota
	regionCity
	regionProvince
	regionDifferent
	numRegionLevels = regionDifferent + 1
)

// numLevels is the number of levels per field, missing included.
var numLevels = [numFields]int{
	FieldName:             int(numNameLevels),
	FieldBirthDate:        int(numDobLevels),
	FieldSex:              3,
	FieldPhone:            3,
	FieldRegion:           int(numRegionLevels),
	FieldResidentID:       int(numRidLevels),
	FieldMedicalInsurance: 3,
	FieldHealthCard:       3,
}

// levelNames names each level for reports and configuration.
var levelNames = [numFields][]string{
	FieldName:             {"missing", "exact", "pinyin", "homophone", "typo", "swapped", "partial", "different"},
	FieldBirthDate:        {"missing", "exact", "transposed", "oneDigit", "sameYear", "different"},
	FieldSex:              {"missing", "agree", "disagree"},
	FieldPhone:            {"missing", "agree", "disagree"},
	FieldRegion:           {"missing", "county", "city", "province", "different"},
	FieldResidentID:       {"missing", "same", "sameSuspect", "near", "different"},
	FieldMedicalInsurance: {"missing", "agree", "disagree"},
	FieldHealthCard:       {"missing", "agree", "disagree"},
}

// Vector is the comparison of two records, one level per field.
type Vector [numFields]Level

func compare(a, b *compiled) Vector {
	var v Vector
	v[FieldName] = nameLevel(a, b)
	if a.dob != 0 && b.dob != 0 {
		v[FieldBirthDate] = dateLevel(a.dob, b.dob)
	}
	if a.sex != sexUnknown && b.sex != sexUnknown {
		v[FieldSex] = pick(a.sex == b.sex)
	}
	if len(a.phones) > 0 && len(b.phones) > 0 {
		v[FieldPhone] = disagree
	outer:
		for _, p := range a.phones {
			for _, q := range b.phones {
				if p == q {
					v[FieldPhone] = agree
					break outer
				}
			}
		}
	}
	if a.region != 0 && b.region != 0 {
		switch {
		case a.region == b.region:
			v[FieldRegion] = regionCounty
		case a.region/100 == b.region/100:
			v[FieldRegion] = regionCity
		case a.region/10000 == b.region/10000:
			v[FieldRegion] = regionProvince
		default:
			v[FieldRegion] = regionDifferent
		}
	}
	v[FieldResidentID] = ridLevel(a, b)
	if a.yb != "" && b.yb != "" {
		v[FieldMedicalInsurance] = pick(a.yb == b.yb)
	}
	if a.hc != "" && b.hc != "" {
		v[FieldHealthCard] = pick(a.hc == b.hc)
	}
	return v
}

func pick(same bool) Level {
	if same {
		return agree
	}
	return disagree
}

func ridLevel(a, b *compiled) Level {
	switch {
	case a.rid != "" && b.rid != "":
		if a.rid != b.rid {
			return ridDifferent
		}
		if a.ridOK && b.ridOK {
			return ridSame
		}
		return ridSameSuspect
	case a.rid == "" && b.rid == "" && a.ridRaw == "" && b.ridRaw == "":
		return missing
	case a.rid == "" && a.ridRaw == "", b.rid == "" && b.ridRaw == "":
		return missing
	}
	x, y := a.rid, b.rid
	if x == "" {
		x = a.ridRaw
	}
	if y == "" {
		y = b.ridRaw
	}
	if nearString(x, y) {
		return ridNear
	}
	// A 15-digit typo: compare against the other's 15-digit form.
	return ridDifferent
}

// nearString reports whether a and b are within one substitution, one
// adjacent transposition, or one insertion/deletion.
func nearString(a, b string) bool {
	if a == b {
		return true
	}
	la, lb := len(a), len(b)
	switch {
	case la == lb:
		i := 0
		for i < la && a[i] == b[i] {
			i++
		}
		if a[i+1:] == b[i+1:] {
			return true // substitution
		}
		return i+1 < la && a[i] == b[i+1] && a[i+1] == b[i] && a[i+2:] == b[i+2:]
	case la == lb+1:
		return oneDeletion(a, b)
	case lb == la+1:
		return oneDeletion(b, a)
	}
	return false
}

// adjacentKeyTypo reports whether two syllables of the same length differ in
// one letter whose keys are neighbours on a QWERTY keyboard: what a pinyin
// input method turns into a wrong character ("ming" typed "ning").
func adjacentKeyTypo(s, t string) bool {
	if len(s) != len(t) {
		return false
	}
	diff := -1
	for i := 0; i < len(s); i++ {
		if s[i] != t[i] {
			if diff >= 0 {
				return false
			}
			diff = i
		}
	}
	return diff >= 0 && isNeighbourKey(s[diff], t[diff])
}

var keyRows = [3]string{"qwertyuiop", "asdfghjkl", "zxcvbnm"}

func isNeighbourKey(a, b byte) bool {
	row := func(c byte) (int, int) {
		for r, keys := range keyRows {
			for i := 0; i < len(keys); i++ {
				if keys[i] == c {
					return r, i
				}
			}
		}
		return -1, -1
	}
	ra, ca := row(a)
	rb, cb := row(b)
	if ra < 0 || rb < 0 {
		return false
	}
	switch ra - rb {
	case 0:
		return ca-cb == 1 || cb-ca == 1
	case 1: // a is on the row below b: below-left and below-right neighbours
		return cb == ca || cb == ca+1
	case -1:
		return ca == cb || ca == cb+1
	}
	return false
}

func oneDeletion(long, short string) bool {
	i := 0
	for i < len(short) && long[i] == short[i] {
		i++
	}
	return long[i+1:] == short[i:]
}

func dateLevel(a, b int32) Level {
	if a == b {
		return dobExact
	}
	da, db := digits8(a), digits8(b)
	diff := 0
	var pos [8]int
	for i := 0; i < 8; i++ {
		if da[i] != db[i] {
			pos[diff] = i
			diff++
		}
	}
	if diff == 2 && da[pos[0]] == db[pos[1]] && da[pos[1]] == db[pos[0]] {
		return dobTransposed
	}
	// Month and day swapped (1985-03-12 / 1985-12-03).
	if a/10000 == b/10000 && (a/100)%100 == b%100 && a%100 == (b/100)%100 {
		return dobTransposed
	}
	if diff == 1 {
		return dobOneDigit
	}
	if a/10000 == b/10000 {
		return dobSameYear
	}
	return dobDifferent
}

func digits8(x int32) [8]byte {
	var d [8]byte
	for i := 7; i >= 0; i-- {
		d[i] = byte(x % 10)
		x /= 10
	}
	return d
}

func nameLevel(a, b *compiled) Level {
	if len(a.name) == 0 || len(b.name) == 0 {
		return missing
	}
	if len(a.name) == len(b.name) {
		same, samePy, homo := true, true, true
		diffs, diffAt := 0, -1
		for i := range a.name {
			if a.name[i] != b.name[i] {
				same = false
				diffs++
				diffAt = i
				if a.syl[i] != b.syl[i] || a.syl[i] == 0 {
					samePy = false
				}
				if a.readings[i] == 0 || !a.readings[i].Overlaps(b.readings[i]) {
					homo = false
				}
			}
		}
		switch {
		case same:
			return nameExact
		case samePy:
			return namePinyin
		case homo:
			return nameHomophone
		}
		if diffs == 1 {
			if s, t := a.syl[diffAt].String(), b.syl[diffAt].String(); s != "" && t != "" && adjacentKeyTypo(s, t) {
				return nameTypo
			}
			if diffAt >= a.famLen && a.famLen > 0 {
				return namePartial
			}
		}
		if diffs == 2 && len(a.name)-a.famLen == 2 && a.famLen > 0 {
			g := len(a.name) - 2
			if a.name[g] == b.name[g+1] && a.name[g+1] == b.name[g] {
				return nameSwapGiven
			}
		}
		return nameDifferent
	}
	// Latin names and names without readings: compare pinyin strings.
	if a.py != "" && a.py == b.py {
		return namePinyin
	}
	return nameDifferent
}
