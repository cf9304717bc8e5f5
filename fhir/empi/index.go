package empi

import (
	"hash/maphash"
	"math"
	"math/rand/v2"
	"sort"
	"strconv"
	"sync"
)

// Grade is the match grade of a candidate, a code of
// http://terminology.hl7.org/CodeSystem/match-grade.
type Grade string

// Match grades.
const (
	GradeCertain      Grade = "certain"
	GradeProbable     Grade = "probable"
	GradePossible     Grade = "possible"
	GradeCertainlyNot Grade = "certainly-not"
)

// MatchGradeSystem is the code system of [Grade] values, and
// MatchGradeExtension the extension $match puts on each entry's search
// element.
const (
	MatchGradeSystem    = "http://terminology.hl7.org/CodeSystem/match-grade"
	MatchGradeExtension = "http://hl7.org/fhir/StructureDefinition/match-grade"
)

// Rule names why a pair is linked deterministically.
type Rule string

// Deterministic rules.
const (
	RuleResidentID       Rule = "resident-id"       // same valid resident ID, consistent with both records
	RuleMedicalInsurance Rule = "medical-insurance" // same 医保 number, names and birth dates not contradicting
)

// Candidate is one record an incoming record may be the same person as.
type Candidate struct {
	Index  int     // position of the record in the Index (as returned by Add)
	ID     string  // the record's ID
	Weight float64 // Σ log2(m/u); +Inf for a deterministic link
	Score  float64 // posterior probability of a match, 0..1
	Grade  Grade
	Rule   Rule   // set for deterministic links
	Vector Vector // the field comparison
}

// Index is an in-memory blocking index of records: Add records as they
// arrive, Match a record against those added. Candidate generation looks up
// blocking keys (resident ID, 医保 and health card numbers, phone, pinyin
// name with birth year, surname or given-name pinyin with birth date,
// initials with birth date, pinyin name with the multiset of birth-date
// digits, pinyin name with region), so its cost does not grow with the
// index, and every candidate is scored with the Model.
//
// An Index is safe for concurrent use: Match and Add may be called from
// several goroutines (Adds are serialised).
type Index struct {
	model *Model
	// MaxBlock bounds how many entries of one blocking key are compared
	// (the most recent ones): a phone number shared by a whole village must
	// not make a query slow.
	maxBlock int

	mu      sync.RWMutex
	recs    []Record
	comp    []compiled
	head    map[uint64]int32 // key → newest posting
	postRec []int32          // posting → record
	postNxt []int32          // posting → older posting of the same key, -1
	seed    maphash.Seed
	scratch sync.Pool
}

// Options configure an Index.
type Options struct {
	Model    *Model // nil: DefaultModel()
	MaxBlock int    // 0: 200
}

// NewIndex returns an empty index.
func NewIndex(opt Options) *Index {
	m := opt.Model
	if m == nil {
		m = DefaultModel()
	} else {
		m = m.Clone()
	}
	if opt.MaxBlock <= 0 {
		opt.MaxBlock = 200
	}
	return &Index{model: m, maxBlock: opt.MaxBlock, head: map[uint64]int32{}, seed: maphash.MakeSeed()}
}

// Model returns the index's model (do not modify it).
func (ix *Index) Model() *Model { return ix.model }

// SetModel replaces the model (after estimating weights on the index's own
// candidate pairs, for instance).
func (ix *Index) SetModel(m *Model) {
	c := m.Clone()
	ix.mu.Lock()
	ix.model = c
	ix.mu.Unlock()
}

// Len returns the number of records added.
func (ix *Index) Len() int {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	return len(ix.recs)
}

// Record returns the record at position i.
func (ix *Index) Record(i int) Record {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	return ix.recs[i]
}

// Add indexes r and returns its position.
func (ix *Index) Add(r Record) int {
	c := compile(&r)
	keys := ix.keys(&c, nil)
	ix.mu.Lock()
	defer ix.mu.Unlock()
	i := int32(len(ix.recs))
	ix.recs = append(ix.recs, r)
	ix.comp = append(ix.comp, c)
	for _, k := range keys {
		h, ok := ix.head[k]
		if !ok {
			h = -1
		}
		ix.head[k] = int32(len(ix.postRec))
		ix.postRec = append(ix.postRec, i)
		ix.postNxt = append(ix.postNxt, h)
	}
	return int(i)
}

// keys returns the blocking keys of a compiled record, deduplicated.
func (ix *Index) keys(c *compiled, buf []uint64) []uint64 {
	var h maphash.Hash
	h.SetSeed(ix.seed)
	add := func(parts ...string) {
		h.Reset()
		for _, p := range parts {
			h.WriteString(p)
			h.WriteByte(0)
		}
		k := h.Sum64()
		for _, x := range buf {
			if x == k {
				return
			}
		}
		buf = append(buf, k)
	}
	if c.rid != "" {
		add("rid", c.rid)
	} else if c.ridRaw != "" {
		add("rid", c.ridRaw)
	}
	if c.yb != "" {
		add("yb", c.yb)
	}
	if c.hc != "" {
		add("hc", c.hc)
	}
	if c.passport != "" {
		add("pp", c.passport)
	}
	for _, p := range c.phones {
		add("tel", p)
	}
	if c.py != "" {
		if c.dob != 0 {
			d := strconv.Itoa(int(c.dob))
			add("py-y", c.py, d[:4])
			add("fam-d", c.pyFam, d)
			if c.pyGiven != "" {
				add("giv-d", c.pyGiven, d)
			}
			add("ini-d", c.initials, d)
			b := []byte(d)
			sort.Slice(b, func(i, j int) bool { return b[i] < b[j] })
			add("py-dd", c.py, string(b))
		}
		if c.region != 0 {
			add("py-r", c.py, strconv.Itoa(int(c.region)))
		}
	}
	return buf
}

type scratch struct {
	seen  map[int32]struct{}
	keys  []uint64
	cands []int32
}

// MatchOptions tune one Match.
type MatchOptions struct {
	// MinGrade drops candidates below it (default possible).
	MinGrade Grade
	// Count keeps the best Count candidates (0: all).
	Count int
	// Before only considers records added before this position (0: all):
	// used by full relinks so that each pair is scored once.
	Before int
	// Exclude skips the record at this position (-1 or 0 with ExcludeSet
	// false: none); set it when matching a record already in the index.
	Exclude    int
	ExcludeSet bool
}

var gradeRank = map[Grade]int{GradeCertainlyNot: 0, GradePossible: 1, GradeProbable: 2, GradeCertain: 3}

// Match returns the indexed records r may be the same person as, best first.
func (ix *Index) Match(r Record, opt MatchOptions) []Candidate {
	c := compile(&r)
	return ix.match(&c, opt)
}

func (ix *Index) match(c *compiled, opt MatchOptions) []Candidate {
	s, _ := ix.scratch.Get().(*scratch)
	if s == nil {
		s = &scratch{seen: map[int32]struct{}{}}
	}
	defer func() {
		clear(s.seen)
		s.cands = s.cands[:0]
		ix.scratch.Put(s)
	}()
	s.keys = ix.keys(c, s.keys[:0])
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	limit := int32(len(ix.recs))
	if opt.Before > 0 && int32(opt.Before) < limit {
		limit = int32(opt.Before)
	}
	for _, k := range s.keys {
		p, ok := ix.head[k]
		if !ok {
			continue
		}
		for n := 0; p >= 0 && n < ix.maxBlock; p = ix.postNxt[p] {
			i := ix.postRec[p]
			if i >= limit {
				continue
			}
			n++
			if opt.ExcludeSet && int(i) == opt.Exclude {
				continue
			}
			if _, dup := s.seen[i]; dup {
				continue
			}
			s.seen[i] = struct{}{}
			s.cands = append(s.cands, i)
		}
	}
	min := opt.MinGrade
	if min == "" {
		min = GradePossible
	}
	var out []Candidate
	for _, i := range s.cands {
		cand := ix.score(c, &ix.comp[i])
		if gradeRank[cand.Grade] < gradeRank[min] {
			continue
		}
		cand.Index = int(i)
		cand.ID = ix.recs[i].ID
		out = append(out, cand)
	}
	sort.Slice(out, func(a, b int) bool {
		if out[a].Weight != out[b].Weight {
			return out[a].Weight > out[b].Weight
		}
		return out[a].Index < out[b].Index
	})
	if opt.Count > 0 && len(out) > opt.Count {
		out = out[:opt.Count]
	}
	return out
}

// score compares two compiled records: deterministic rules first, then the
// Fellegi–Sunter weight against the thresholds.
func (ix *Index) score(a, b *compiled) Candidate {
	m := ix.model
	v := compare(a, b)
	w := m.Weight(v)
	cand := Candidate{Weight: w, Vector: v}
	// A shared identifier links deterministically unless the demographics
	// contradict it: a wholly different name (a child registered under a
	// parent's ID, a mistyped number that hit someone else's), or both a
	// different birth date and a different sex.
	contradict := v[FieldName] == nameDifferent ||
		(v[FieldBirthDate] == dobDifferent && v[FieldSex] == disagree)
	switch {
	case contradict:
	case v[FieldResidentID] == ridSame:
		cand.Rule = RuleResidentID
	case v[FieldMedicalInsurance] == agree && v[FieldResidentID] != ridDifferent:
		cand.Rule = RuleMedicalInsurance
	}
	if cand.Rule != "" {
		cand.Weight = math.Inf(1)
		cand.Score = 1
		cand.Grade = GradeCertain
		return cand
	}
	cand.Score = m.Score(w)
	// Demographics alone never link automatically when the names disagree
	// beyond a typo: twins share a surname, a birth date, an address and a
	// parent's phone. Such pairs go to review at most.
	// A name that only sounds alike, with the sex disagreeing, is a brother
	// and sister as often as a clerical error.
	nameAgrees := v[FieldName] != namePartial && v[FieldName] != nameDifferent &&
		(v[FieldName] == nameExact || v[FieldSex] != disagree)
	// Nor when both birth dates are known and far apart: a father and a son
	// may share a name's sound, a phone and an address.
	nameAgrees = nameAgrees && v[FieldBirthDate] != dobDifferent && v[FieldBirthDate] != dobSameYear
	switch {
	case w >= m.Upper && nameAgrees:
		cand.Grade = GradeCertain
	case w >= m.Lower:
		cand.Grade = GradeProbable
	case w >= m.Possible:
		cand.Grade = GradePossible
	default:
		cand.Grade = GradeCertainlyNot
	}
	return cand
}

// RandomVectors compares n random pairs of indexed records (for
// [EstimateU]); seed makes the sample repeatable.
func (ix *Index) RandomVectors(n int, seed uint64) []Vector {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	if len(ix.comp) < 2 {
		return nil
	}
	r := rand.New(rand.NewPCG(seed, seed+1))
	out := make([]Vector, 0, n)
	for len(out) < n {
		i, j := r.IntN(len(ix.comp)), r.IntN(len(ix.comp))
		if i != j {
			out = append(out, compare(&ix.comp[i], &ix.comp[j]))
		}
	}
	return out
}

// Vectors returns the comparison vectors of the candidate pairs of the whole
// index (each pair once), for estimating the model with [EstimateEM]. At
// most limit vectors are returned (0: all).
func (ix *Index) Vectors(limit int) []Vector {
	n := ix.Len()
	var out []Vector
	for i := 0; i < n; i++ {
		ix.mu.RLock()
		c := &ix.comp[i]
		ix.mu.RUnlock()
		for _, cand := range ix.match(c, MatchOptions{MinGrade: GradeCertainlyNot, Before: i}) {
			out = append(out, cand.Vector)
			if limit > 0 && len(out) >= limit {
				return out
			}
		}
	}
	return out
}
