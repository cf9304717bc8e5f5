package model

import "sort"

// Coding is a code and the code system it comes from.
type Coding struct {
	System string
	Code   string
}

type systemCodes struct {
	System string
	Codes  []string // sorted
}

type valueSetCodes struct {
	URL      string
	Complete bool
	Reason   string // why the codes are not complete
	Systems  []systemCodes
}

var valueSetIndex map[string]*valueSetCodes

func initValueSets() {
	valueSetIndex = make(map[string]*valueSetCodes, len(requiredValueSets))
	for i := range requiredValueSets {
		valueSetIndex[requiredValueSets[i].URL] = &requiredValueSets[i]
	}
}

func lookupValueSet(url string) *valueSetCodes {
	for i := 0; i < len(url); i++ {
		if url[i] == '|' {
			url = url[:i]
			break
		}
	}
	return valueSetIndex[url]
}

// ValueSetCodes returns the codes of a value set bound with strength required
// somewhere in the core definitions, as far as the definition bundles
// enumerate them. complete is false when the set includes codes the bundles
// cannot enumerate (an external code system such as UCUM or BCP-13, a filter
// other than is-a); codes then lists only those known. A value set that is
// not bound required anywhere yields (nil, false).
func ValueSetCodes(url string) (codes []Coding, complete bool) {
	vs := lookupValueSet(url)
	if vs == nil {
		return nil, false
	}
	for _, s := range vs.Systems {
		for _, c := range s.Codes {
			codes = append(codes, Coding{System: s.System, Code: c})
		}
	}
	return codes, vs.Complete
}

// ValueSetContains reports whether the value set holds code from system
// (system "" matches a code of any system, as for a bare code element).
// known is false when the value set is not enumerated completely, in which
// case a false in is no evidence that the code is outside the set.
func ValueSetContains(url, system, code string) (in, known bool) {
	vs := lookupValueSet(url)
	if vs == nil {
		return false, false
	}
	for _, s := range vs.Systems {
		if system != "" && s.System != system {
			continue
		}
		i := sort.SearchStrings(s.Codes, code)
		if i < len(s.Codes) && s.Codes[i] == code {
			return true, true
		}
	}
	return false, vs.Complete
}

// ValueSetIncompleteReason says why a required value set is not fully
// enumerated ("" when it is, or when it is unknown).
func ValueSetIncompleteReason(url string) string {
	if vs := lookupValueSet(url); vs != nil {
		return vs.Reason
	}
	return ""
}
