package dicom

import "strings"

// PersonName is a PN value (PS3.5 §6.2.1): up to three component groups,
// alphabetic (e.g. pinyin), ideographic (汉字) and phonetic, separated by
// "=", each with five components separated by "^".
type PersonName struct {
	Alphabetic  NameGroup
	Ideographic NameGroup
	Phonetic    NameGroup
}

// NameGroup is one component group of a person name.
type NameGroup struct {
	Family, Given, Middle, Prefix, Suffix string
}

// ParsePersonName splits a decoded PN value into groups and components.
// Split only text that is already decoded: in GB18030 the byte 0x5C ("\")
// and 0x5E ("^") occur inside characters.
func ParsePersonName(s string) PersonName {
	g := strings.SplitN(s, "=", 3)
	var pn PersonName
	groups := []*NameGroup{&pn.Alphabetic, &pn.Ideographic, &pn.Phonetic}
	for i, part := range g {
		c := strings.SplitN(part, "^", 5)
		comps := []*string{&groups[i].Family, &groups[i].Given, &groups[i].Middle, &groups[i].Prefix, &groups[i].Suffix}
		for j, v := range c {
			*comps[j] = strings.TrimSpace(v)
		}
	}
	return pn
}

// IsEmpty reports whether every component is empty.
func (g NameGroup) IsEmpty() bool { return g == NameGroup{} }

// String formats the group with "^" separators, trailing empty components
// dropped.
func (g NameGroup) String() string {
	c := []string{g.Family, g.Given, g.Middle, g.Prefix, g.Suffix}
	n := len(c)
	for n > 0 && c[n-1] == "" {
		n--
	}
	return strings.Join(c[:n], "^")
}

// String formats the name as a PN value, trailing empty groups dropped:
// "Wang^XiaoDong=王^小东".
func (p PersonName) String() string {
	g := []string{p.Alphabetic.String(), p.Ideographic.String(), p.Phonetic.String()}
	n := len(g)
	for n > 0 && g[n-1] == "" {
		n--
	}
	return strings.Join(g[:n], "=")
}

// IsEmpty reports whether all groups are empty.
func (p PersonName) IsEmpty() bool { return p == PersonName{} }
