package cn

import "sort"

// RegionStatus says how a GB/T 2260 code relates to the current table.
type RegionStatus int

// Region statuses.
const (
	RegionInvalid RegionStatus = iota // not six digits, or an unknown province
	RegionUnknown                     // known province, county not in the current table (often an obsolete code)
	RegionCurrent                     // in the current table
)

func (s RegionStatus) String() string {
	switch s {
	case RegionCurrent:
		return "current"
	case RegionUnknown:
		return "unknown"
	}
	return "invalid"
}

// extraProvinces are the codes of residence permits of Taiwan (71, and 83 for
// permits issued from 2018), Hong Kong (81) and Macao (82), which the table
// lacks.
var extraProvinces = map[uint32]string{710000: "台湾省", 810000: "香港特别行政区", 820000: "澳门特别行政区", 830000: "台湾居民居住证"}

// RegionName returns the name of a six-digit code in the current table.
func RegionName(code string) (string, bool) {
	c, ok := regionNumber(code)
	if !ok {
		return "", false
	}
	if n, ok := lookupRegion(c); ok {
		return n, true
	}
	n, ok := extraProvinces[c]
	return n, ok
}

// CheckRegion classifies a six-digit GB/T 2260 code.
func CheckRegion(code string) RegionStatus {
	c, ok := regionNumber(code)
	if !ok {
		return RegionInvalid
	}
	if _, ok := lookupRegion(c); ok {
		return RegionCurrent
	}
	prov := c / 10000 * 10000
	if _, ok := extraProvinces[prov]; ok {
		return RegionCurrent
	}
	if _, ok := lookupRegion(prov); ok {
		return RegionUnknown
	}
	return RegionInvalid
}

// Counties returns the current county-level codes (six digits, not ending
// in 00) whose code starts with prefix ("" for all): "3301" lists Hangzhou's.
func Counties(prefix string) []string {
	var out []string
	for _, r := range genRegions {
		if r.code%100 == 0 {
			continue
		}
		s := itoa6(r.code)
		if len(prefix) <= 6 && s[:len(prefix)] == prefix {
			out = append(out, s)
		}
	}
	return out
}

func lookupRegion(c uint32) (string, bool) {
	i := sort.Search(len(genRegions), func(i int) bool { return genRegions[i].code >= c })
	if i < len(genRegions) && genRegions[i].code == c {
		return genRegions[i].name, true
	}
	return "", false
}

func regionNumber(code string) (uint32, bool) {
	if len(code) != 6 {
		return 0, false
	}
	var c uint32
	for i := 0; i < 6; i++ {
		d := code[i]
		if d < '0' || d > '9' {
			return 0, false
		}
		c = c*10 + uint32(d-'0')
	}
	return c, true
}

func itoa6(c uint32) string {
	var b [6]byte
	for i := 5; i >= 0; i-- {
		b[i] = byte('0' + c%10)
		c /= 10
	}
	return string(b[:])
}

// FindRegion returns the county code named district, narrowed by the
// province (state) and city names when given; "" when none or when the
// name stays ambiguous (朝阳区 is in Beijing and in Changchun).
func FindRegion(state, city, district string) string {
	found := ""
	for _, r := range genRegions {
		if r.code%100 == 0 || r.name != district {
			continue
		}
		if state != "" {
			if n, _ := lookupRegion(r.code / 10000 * 10000); n != state {
				continue
			}
		}
		if city != "" {
			if n, _ := lookupRegion(r.code / 100 * 100); n != city && n != "市辖区" {
				continue
			}
		}
		if found != "" {
			return ""
		}
		found = itoa6(r.code)
	}
	return found
}
