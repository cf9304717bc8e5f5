package dicom

import "sort"

//go:generate go run ./internal/gendict -out dict_gen.go

// DictEntry describes a data element of the PS3.6 data dictionary.
type DictEntry struct {
	Tag Tag
	// VRs holds the allowed VRs, most usual first ("US or SS", "OB or OW");
	// unused slots are zero. Items and delimiters have none.
	VRs     [3]VR
	VM      string // "1", "1-n", "2-2n", ...
	Keyword string // "PatientName"; without the RETIRED_ prefix
	Retired bool
}

// VR returns the first (usual) VR of the entry.
func (e DictEntry) VR() VR { return e.VRs[0] }

type repeatingEntry struct {
	DictEntry
	mask Tag
}

// DictionarySource names the PS3.6 edition the dictionary was generated from.
func DictionarySource() string { return dictSource }

// LookupTag returns the dictionary entry of t. Repeating groups such as
// (60xx,3000) match every instance; group lengths (gggg,0000) and private
// creators (gggg,00xx) in odd groups get generic entries.
func LookupTag(t Tag) (DictEntry, bool) {
	i := sort.Search(len(dictEntries), func(i int) bool { return dictEntries[i].Tag >= t })
	if i < len(dictEntries) && dictEntries[i].Tag == t {
		return dictEntries[i], true
	}
	for _, r := range dictRepeating {
		if t&^r.mask == r.Tag {
			e := r.DictEntry
			e.Tag = t
			return e, true
		}
	}
	switch {
	case t.IsGroupLength():
		return DictEntry{Tag: t, VRs: [3]VR{UL}, VM: "1", Keyword: "GroupLength"}, true
	case t.IsPrivateCreator():
		return DictEntry{Tag: t, VRs: [3]VR{LO}, VM: "1", Keyword: "PrivateCreator"}, true
	}
	return DictEntry{}, false
}

// LookupKeyword returns the dictionary entry whose keyword is kw. Repeating
// group keywords (OverlayData) return the entry of the first group (6000).
func LookupKeyword(kw string) (DictEntry, bool) {
	i := sort.Search(len(dictByKeyword), func(i int) bool { return dictEntries[dictByKeyword[i]].Keyword >= kw })
	if i < len(dictByKeyword) && dictEntries[dictByKeyword[i]].Keyword == kw {
		return dictEntries[dictByKeyword[i]], true
	}
	for _, r := range dictRepeating {
		if r.Keyword == kw {
			return r.DictEntry, true
		}
	}
	return DictEntry{}, false
}

// Keyword returns the dictionary keyword of t, or "" when t is unknown.
func Keyword(t Tag) string {
	e, _ := LookupTag(t)
	return e.Keyword
}
