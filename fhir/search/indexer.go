package search

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"

	"yigong/fhir"
	"yigong/fhir/empi"
	"yigong/fhir/fhirjson"
	"yigong/fhir/fhirpath"
	"yigong/fhir/model"
	"yigong/fhir/r4"
	"yigong/fhir/store"
	"yigong/profiles/cn"
)

// Param is a search parameter compiled for indexing.
type Param struct {
	Def        *model.SearchParam
	Type       store.ParamType // 0 for a composite
	expr       *fhirpath.Expression
	components []component // composite parameters only
}

// component is one compiled component of a composite parameter.
type component struct {
	typ  store.ParamType
	expr *fhirpath.Expression
}

// Indexer extracts the index rows of a resource; it implements store.Indexer
// and, with the SearchParameter resources it has seen, [Params].
type Indexer struct {
	baseURL string // the server's own FHIR base, for absolute local references

	mu     sync.RWMutex
	byType map[string][]*Param                      // resource type -> its parameters (own; bases looked up)
	byCode map[string]map[string]*model.SearchParam // custom parameters: type -> code -> definition
	byURL  map[string]*model.SearchParam            // custom parameters by canonical URL
	// aliases: type -> code -> where the values of a core parameter that
	// repeats others are found (alias.go); such parameters have no rows.
	aliases map[string]map[string]store.ParamAlias
	loaded  bool // SearchParameter resources of the store were loaded
}

// Interface guard.
var (
	_ store.Indexer      = (*Indexer)(nil)
	_ store.ParamAliaser = (*Indexer)(nil)
)

// Options configure an Indexer.
type Options struct {
	// BaseURL is the public base of this server's FHIR API; absolute
	// references under it are indexed as local ones.
	BaseURL string
	// Params replaces the core search parameters (tests); nil means all
	// 1,378 of R4.
	Params []model.SearchParam
}

// paramTypes maps a SearchParameter type to its index table; composite and
// special parameters are not indexed as rows of their own.
var paramTypes = map[string]store.ParamType{
	"string": store.ParamString, "token": store.ParamToken, "date": store.ParamDate,
	"number": store.ParamNumber, "quantity": store.ParamQuantity,
	"reference": store.ParamReference, "uri": store.ParamURI,
}

// NewIndexer compiles the expression of every indexable search parameter
// once. A parameter whose expression does not parse is an error: a bad
// definition stops start-up, not the first write at night.
func NewIndexer(opts Options) (*Indexer, error) {
	params := opts.Params
	if params == nil {
		params = model.AllSearchParams()
	}
	ix := &Indexer{byType: map[string][]*Param{}, byCode: map[string]map[string]*model.SearchParam{},
		byURL: map[string]*model.SearchParam{}, baseURL: strings.TrimRight(opts.BaseURL, "/")}
	lookupURL := func(u string) *model.SearchParam {
		for i := range params {
			if params[i].URL == u {
				return &params[i]
			}
		}
		return nil
	}
	for i := range params {
		p, err := compile(&params[i], lookupURL)
		if err != nil {
			return nil, err
		}
		if p == nil {
			continue
		}
		for _, base := range p.Def.Base {
			ix.byType[base] = append(ix.byType[base], p)
		}
	}
	ix.aliases = findAliases(ix.byType)
	return ix, nil
}

// ParamAlias implements store.ParamAliaser.
func (ix *Indexer) ParamAlias(resourceType, code string) (store.ParamAlias, bool) {
	ix.mu.RLock()
	a, ok := ix.aliases[resourceType][code]
	ix.mu.RUnlock()
	return a, ok
}

// indexedParams returns Params(resourceType) without the aliases.
func (ix *Indexer) indexedParams(resourceType string) []*Param {
	ps := ix.Params(resourceType)
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	al := ix.aliases[resourceType]
	if len(al) == 0 {
		return ps
	}
	return slices.DeleteFunc(ps, func(p *Param) bool {
		_, ok := al[p.Def.Code]
		return ok
	})
}

// compile compiles an indexable parameter; nil for one that is not indexed
// as rows of its own (_id and _lastUpdated live in the resources table;
// special parameters and those without an expression have no rows).
func compile(sp *model.SearchParam, lookupURL func(string) *model.SearchParam) (*Param, error) {
	if sp.Expression == "" || sp.Code == "_id" || sp.Code == "_lastUpdated" {
		return nil, nil
	}
	pt, ok := paramTypes[sp.Type]
	if sp.Type == "special" && sp.URL == nearURL {
		pt, ok = store.ParamNear, true
	}
	if !ok && sp.Type != "composite" {
		return nil, nil
	}
	expr, err := fhirpath.Parse(sp.Expression)
	if err != nil {
		return nil, fmt.Errorf("search: parameter %s (%s): %w", sp.Code, sp.URL, err)
	}
	p := &Param{Def: sp, Type: pt, expr: expr}
	if sp.Type == "composite" {
		for k, c := range sp.Component {
			cd := lookupURL(c.Definition)
			ct, ok := paramTypes[defType(cd)]
			if !ok {
				return nil, nil // a component we cannot index: the composite is not searchable
			}
			ce, err := fhirpath.Parse(componentExpression(sp.URL, k, c.Expression))
			if err != nil {
				return nil, fmt.Errorf("search: parameter %s component %s: %w", sp.Code, c.Definition, err)
			}
			p.components = append(p.components, component{ct, ce})
		}
		if len(p.components) < 2 {
			return nil, nil
		}
	}
	return p, nil
}

// Params returns the indexed parameters that apply to resourceType, its own
// and those of its bases (Resource, DomainResource).
func (ix *Indexer) Params(resourceType string) []*Param {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	var out []*Param
	for t := resourceType; t != ""; {
		out = append(out, ix.byType[t]...)
		mt := model.LookupType(t)
		if mt == nil {
			break
		}
		t = mt.Base
	}
	return out
}

// Lookup implements Params: a SearchParameter resource the indexer has seen
// wins over the core parameter of the same code.
func (ix *Indexer) Lookup(resourceType, code string) *model.SearchParam {
	ix.mu.RLock()
	for t := resourceType; t != ""; {
		if sp := ix.byCode[t][code]; sp != nil {
			ix.mu.RUnlock()
			return sp
		}
		mt := model.LookupType(t)
		if mt == nil {
			break
		}
		t = mt.Base
	}
	ix.mu.RUnlock()
	return model.LookupSearchParam(resourceType, code)
}

// LookupURL implements Params.
func (ix *Indexer) LookupURL(u string) *model.SearchParam {
	ix.mu.RLock()
	sp := ix.byURL[u]
	ix.mu.RUnlock()
	if sp != nil {
		return sp
	}
	return lookupCoreURL(u)
}

// Index implements store.Indexer: it decodes r.JSON and returns one entry per
// indexed value.
func (ix *Indexer) Index(ctx context.Context, r *store.Resource) ([]store.IndexEntry, error) {
	n, err := fhirjson.UnmarshalOptions{Lenient: true}.Unmarshal(r.JSON)
	if err != nil {
		return nil, fmt.Errorf("search: index %s/%s: %w", r.Type, r.ID, err)
	}
	return ix.IndexNode(ctx, n)
}

// IndexNode returns the index entries of a decoded resource.
func (ix *Indexer) IndexNode(ctx context.Context, n *fhir.Node) ([]store.IndexEntry, error) {
	env := fhirpath.Env{Resolver: typeOnlyResolver{}}
	var out []store.IndexEntry
	group := 0
	for _, p := range ix.indexedParams(n.Type) {
		res, err := p.expr.Evaluate(ctx, n, env)
		if err != nil {
			if ctx.Err() != nil {
				return nil, fmt.Errorf("search: %s.%s: %w", n.Type, p.Def.Code, ctx.Err())
			}
			// A few official expressions are not strictly valid FHIRPath on
			// some data ("Substance.ingredient.substance as CodeableConcept"
			// over two ingredients): that parameter has no value here.
			continue
		}
		if p.Type == store.ParamNear {
			out = appendNear(out, p.Def.Code, res, &group)
			continue
		}
		if p.components != nil {
			if out, err = ix.appendComposite(ctx, out, p, res, env, &group); err != nil {
				return nil, err
			}
			continue
		}
		start := len(out)
		for _, it := range res {
			out = ix.appendEntries(out, p, it)
		}
		if p.Def.Code == "_tag" {
			// The store's own tag of the owning institution is the
			// partition key: `_tag=` on its system is answered from that
			// column, so no index row is spent on it.
			kept := slices.DeleteFunc(out[start:], func(e store.IndexEntry) bool {
				return e.System == store.InstitutionTagSystem
			})
			out = out[:start+len(kept)]
		}
	}
	out = appendText(out, n)
	if n.Type == "SearchParameter" {
		if err := ix.AddSearchParameter(n); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// componentExpression is the expression of component k of a composite,
// with the R4 definitions' errata corrected: DocumentReference-relationship
// gives its reference component (relatesto) the expression "code" and its
// token component (relation) "target", the wrong way round, so that no
// value would ever index.
func componentExpression(compositeURL string, k int, expr string) string {
	if compositeURL == "http://hl7.org/fhir/SearchParameter/DocumentReference-relationship" && k < 2 {
		return [...]string{"target", "code"}[k]
	}
	return expr
}

// appendComposite indexes each value of a composite parameter as one group
// of component rows ("code#0", "code#1"...).
func (ix *Indexer) appendComposite(ctx context.Context, out []store.IndexEntry, p *Param, res fhirpath.Collection, env fhirpath.Env, group *int) ([]store.IndexEntry, error) {
	for _, it := range res {
		n := it.Node()
		if n == nil {
			continue
		}
		*group++
		start := len(out)
		complete := true
		for k, c := range p.components {
			vals, err := c.expr.Evaluate(ctx, n, env)
			if err != nil { // some R4 component expressions do not fit their composite: no value
				complete = false
				break
			}
			before := len(out)
			cp := &Param{Def: &model.SearchParam{Code: p.Def.Code + "#" + strconv.Itoa(k)}, Type: c.typ}
			for _, v := range vals {
				out = ix.appendEntries(out, cp, v)
			}
			if len(out) == before {
				complete = false
			}
		}
		if !complete {
			out = out[:start]
			continue
		}
		for i := start; i < len(out); i++ {
			out[i].Group = *group
		}
	}
	return out, nil
}

// appendText adds the _text (narrative) and _content (every string value)
// rows that :contains searches of those parameters match.
func appendText(out []store.IndexEntry, n *fhir.Node) []store.IndexEntry {
	if t := n.Child("text"); t != nil {
		out = appendWhole(out, "_text", stripTags(t.ChildValue("div")))
	}
	var b strings.Builder
	n.Walk(func(_ string, c *fhir.Node) bool {
		if c.Name == "div" || c.Name == "data" {
			return false
		}
		switch c.Type {
		case "string", "markdown", "code":
			if c.Value != "" {
				b.WriteString(c.Value)
				b.WriteByte(' ')
			}
		}
		return true
	})
	return appendWhole(out, "_content", b.String())
}

// appendWhole adds one row holding the whole text (its words joined by
// single spaces), if any: text rows are matched by :contains only and carry
// no index on the value, so they need no cutting.
func appendWhole(out []store.IndexEntry, param, s string) []store.IndexEntry {
	if t := strings.Join(strings.Fields(s), " "); t != "" {
		out = append(out, store.IndexEntry{Param: param, Type: store.ParamText, Text: t})
	}
	return out
}

// stripTags returns the text of XHTML, tags removed.
func stripTags(s string) string {
	var b strings.Builder
	in := false
	for _, r := range s {
		switch {
		case r == '<':
			in = true
			b.WriteByte(' ')
		case r == '>':
			in = false
		case !in:
			b.WriteRune(r)
		}
	}
	return strings.NewReplacer("&lt;", "<", "&gt;", ">", "&amp;", "&", "&nbsp;", " ").Replace(b.String())
}

// AddSearchParameter makes a SearchParameter resource take effect: its code
// becomes searchable on its base types and new writes are indexed with it
// (existing resources need a reindex). A SearchParameter that is retired,
// lacks code, base or expression, or whose expression does not parse is an
// error only in the last case.
func (ix *Indexer) AddSearchParameter(n *fhir.Node) error {
	sp := &model.SearchParam{Code: n.ChildValue("code"), Name: n.ChildValue("name"), URL: n.ChildValue("url"),
		Type: n.ChildValue("type"), Expression: n.ChildValue("expression")}
	for _, b := range n.ChildrenNamed("base") {
		sp.Base = append(sp.Base, b.Value)
	}
	for _, t := range n.ChildrenNamed("target") {
		sp.Target = append(sp.Target, t.Value)
	}
	for _, c := range n.ChildrenNamed("component") {
		sp.Component = append(sp.Component, model.SearchComponent{Definition: c.ChildValue("definition"), Expression: c.ChildValue("expression")})
	}
	if n.ChildValue("status") == "retired" || sp.Code == "" || len(sp.Base) == 0 || sp.Expression == "" {
		return nil
	}
	p, err := compile(sp, ix.LookupURL)
	if err != nil {
		return err
	}
	ix.mu.Lock()
	defer ix.mu.Unlock()
	for _, base := range sp.Base {
		if ix.byCode[base] == nil {
			ix.byCode[base] = map[string]*model.SearchParam{}
		}
		if old := ix.byCode[base][sp.Code]; old != nil || model.LookupSearchParam(base, sp.Code) != nil {
			// Replace the earlier definition of this code.
			kept := ix.byType[base][:0:0]
			for _, q := range ix.byType[base] {
				if q.Def.Code != sp.Code {
					kept = append(kept, q)
				}
			}
			ix.byType[base] = kept
		}
		ix.byCode[base][sp.Code] = sp
		// The redefined parameter indexes its own values now, and no
		// alias may read its rows as another's.
		for code, a := range ix.aliases[base] {
			if code == sp.Code || slices.Contains(a.Params, sp.Code) {
				delete(ix.aliases[base], code)
			}
		}
		if p != nil {
			ix.byType[base] = append(ix.byType[base], p)
		}
	}
	if sp.URL != "" {
		ix.byURL[sp.URL] = sp
	}
	return nil
}

// LoadSearchParameters registers the SearchParameter resources of a store
// once (the server calls it before its first search): list returns their
// JSON. Later calls do nothing.
func (ix *Indexer) LoadSearchParameters(ctx context.Context, list func(ctx context.Context) ([][]byte, error)) error {
	ix.mu.RLock()
	done := ix.loaded
	ix.mu.RUnlock()
	if done {
		return nil
	}
	bodies, err := list(ctx)
	if err != nil {
		return fmt.Errorf("search: load SearchParameters: %w", err)
	}
	for _, b := range bodies {
		n, err := fhirjson.UnmarshalOptions{Lenient: true}.Unmarshal(b)
		if err != nil {
			return fmt.Errorf("search: load SearchParameters: %w", err)
		}
		if err := ix.AddSearchParameter(n); err != nil {
			return err
		}
	}
	ix.mu.Lock()
	ix.loaded = true
	ix.mu.Unlock()
	return nil
}

// typeOnlyResolver answers resolve() with an empty resource of the type the
// reference names: search expressions only ask `resolve() is Patient`.
type typeOnlyResolver struct{}

func (typeOnlyResolver) Resolve(_ context.Context, ref string) (*fhir.Node, error) {
	typ, _, ok := splitLocalRef(ref)
	if !ok {
		return nil, nil
	}
	return &fhir.Node{Type: typ}, nil
}

// appendEntries converts one value of a parameter into index entries.
func (ix *Indexer) appendEntries(out []store.IndexEntry, p *Param, it fhirpath.Item) []store.IndexEntry {
	code := p.Def.Code
	n := it.Node()
	if n == nil { // a System value computed by the expression
		v, ok := it.Value()
		if !ok {
			return out
		}
		s := v.String()
		switch p.Type {
		case store.ParamString, store.ParamURI:
			return append(out, store.IndexEntry{Param: code, Type: p.Type, Text: s})
		case store.ParamToken:
			return append(out, store.IndexEntry{Param: code, Type: p.Type, Code: s})
		}
		return out
	}
	switch p.Type {
	case store.ParamString:
		if code == "phonetic" && n.Type == "HumanName" {
			return appendPhonetic(out, code, n)
		}
		return appendStrings(out, code, n)
	case store.ParamToken:
		return appendTokens(out, code, n)
	case store.ParamDate:
		if lo, hi, ok := dateRange(n); ok {
			out = append(out, store.IndexEntry{Param: code, Type: p.Type, Lo: lo, Hi: hi})
		}
		return out
	case store.ParamNumber: // compared as a point (see store.IndexEntry)
		if v, err := strconv.ParseFloat(n.Value, 64); err == nil && n.IsPrimitive() && !math.IsInf(v, 0) {
			out = append(out, store.IndexEntry{Param: code, Type: p.Type, NumLo: v, NumHi: v})
		}
		return out
	case store.ParamQuantity:
		return appendQuantity(out, code, n)
	case store.ParamReference:
		return ix.appendReference(out, code, n)
	case store.ParamURI:
		if n.IsPrimitive() && n.Value != "" {
			out = append(out, store.IndexEntry{Param: code, Type: p.Type, Text: n.Value})
		}
		return out
	}
	return out
}

func appendStrings(out []store.IndexEntry, code string, n *fhir.Node) []store.IndexEntry {
	add := func(s string) {
		if s = strings.TrimSpace(s); s != "" {
			if rs := []rune(s); len(rs) > maxStringRunes {
				s = string(rs[:maxStringRunes])
			}
			out = append(out, store.IndexEntry{Param: code, Type: store.ParamString, Text: s})
		}
	}
	switch n.Type {
	case "HumanName":
		family := n.ChildValue("family")
		var given []string
		for _, g := range n.ChildrenNamed("given") {
			given = append(given, g.Value)
		}
		add(n.ChildValue("text"))
		add(family)
		for _, g := range given {
			add(g)
		}
		for _, c := range n.ChildrenNamed("prefix") {
			add(c.Value)
		}
		for _, c := range n.ChildrenNamed("suffix") {
			add(c.Value)
		}
		if hasHan(family) && len(given) > 0 { // 王 + 小东: the whole name as Chinese writes it
			add(family + strings.Join(given, ""))
		}
	case "Address":
		add(n.ChildValue("text"))
		for _, c := range n.ChildrenNamed("line") {
			add(c.Value)
		}
		for _, f := range []string{"city", "district", "state", "postalCode", "country"} {
			add(n.ChildValue(f))
		}
	default:
		if n.IsPrimitive() {
			add(n.Value)
		}
	}
	return out
}

// appendPhonetic indexes the R4 `phonetic` parameter of a HumanName
// (Patient, Person, Practitioner, RelatedPerson) as the keys
// empi.PhoneticKeys makes: toneless pinyin without spaces ("wangxiaodong"
// for 王小东, polyphonic readings included), letters lower-cased for Latin
// names. Queries are normalised the same way by empi.PhoneticQuery (see
// parser.typed), so the string prefix match compares like with like.
func appendPhonetic(out []store.IndexEntry, code string, n *fhir.Node) []store.IndexEntry {
	h := r4.HumanName{Text: n.ChildValue("text"), Family: n.ChildValue("family")}
	for _, g := range n.ChildrenNamed("given") {
		h.Given = append(h.Given, g.Value)
	}
	for _, k := range empi.PhoneticKeys(h) {
		if k != "" {
			out = append(out, store.IndexEntry{Param: code, Type: store.ParamString, Text: k})
		}
	}
	return out
}

// canonicalSystem folds the aliases of an identifier system (profiles/cn:
// the resident ID under 2.16.156.10011.1.3 and 2.16.840.1.113883.2.23.1.19.1,
// bare OIDs) to one URI; other systems are unchanged.
func canonicalSystem(system string) string {
	if system == "" {
		return ""
	}
	return cn.CanonicalSystem(system)
}

// maxStringRunes caps an indexed string (B-tree entries have a size limit).
const maxStringRunes = 512

func hasHan(s string) bool {
	for _, r := range s {
		if unicode.Is(unicode.Han, r) {
			return true
		}
	}
	return false
}

func appendTokens(out []store.IndexEntry, code string, n *fhir.Node) []store.IndexEntry {
	tok := func(system, value, text string) {
		if value != "" || text != "" {
			out = append(out, store.IndexEntry{Param: code, Type: store.ParamToken, System: system, Code: value, Text: text})
		}
	}
	switch n.Type {
	case "Coding":
		tok(n.ChildValue("system"), n.ChildValue("code"), n.ChildValue("display"))
	case "CodeableConcept":
		codings := n.ChildrenNamed("coding")
		for _, c := range codings {
			text := c.ChildValue("display")
			if t := n.ChildValue("text"); t != "" {
				text = strings.TrimSpace(t + " " + text)
			}
			tok(c.ChildValue("system"), c.ChildValue("code"), text)
		}
		if len(codings) == 0 {
			tok("", "", n.ChildValue("text"))
		}
	case "Identifier":
		text := ""
		t := n.Child("type")
		if t != nil {
			text = t.ChildValue("text")
		}
		// Aliases of a system (the resident ID's two OIDs) index as one.
		tok(canonicalSystem(n.ChildValue("system")), n.ChildValue("value"), text)
		if t != nil && n.ChildValue("value") != "" { // identifier:of-type=system|code|value
			for _, c := range t.ChildrenNamed("coding") {
				if c.ChildValue("code") != "" {
					out = append(out, store.IndexEntry{Param: code + ":of-type", Type: store.ParamToken,
						System: c.ChildValue("system"), Code: c.ChildValue("code") + "|" + n.ChildValue("value")})
				}
			}
		}
	case "ContactPoint":
		tok(n.ChildValue("system"), n.ChildValue("value"), "")
	case "Reference": // e.g. token parameters over Reference.identifier
		if id := n.Child("identifier"); id != nil {
			tok(canonicalSystem(id.ChildValue("system")), id.ChildValue("value"), "")
		}
	default:
		if n.IsPrimitive() {
			tok("", n.Value, "")
		}
	}
	return out
}

func appendQuantity(out []store.IndexEntry, code string, n *fhir.Node) []store.IndexEntry {
	switch n.Type {
	case "Quantity", "Age", "Count", "Distance", "Duration", "Money", "SimpleQuantity", "MoneyQuantity":
	default:
		return out
	}
	v, err := strconv.ParseFloat(n.ChildValue("value"), 64)
	if err != nil || math.IsInf(v, 0) || math.IsNaN(v) {
		return out
	}
	unitCode := n.ChildValue("code")
	if unitCode == "" {
		unitCode = n.ChildValue("unit")
	}
	system := n.ChildValue("system")
	if n.Type == "Money" {
		unitCode = n.ChildValue("currency")
	}
	e := store.IndexEntry{Param: code, Type: store.ParamQuantity, NumLo: v, NumHi: v, System: system, Code: unitCode}
	if c := n.ChildValue("code"); c != "" && (system == ucumSystem || system == "") && n.Type != "Money" {
		if f, canon, ok := fhirpath.CanonicalUnit(c); ok {
			e.CanonCode, e.CanonLo, e.CanonHi = canon, v*f, v*f
		}
	}
	return append(out, e)
}

func (ix *Indexer) appendReference(out []store.IndexEntry, code string, n *fhir.Node) []store.IndexEntry {
	var ref string
	switch {
	case n.Type == "Reference":
		ref = n.ChildValue("reference")
	case n.IsPrimitive(): // canonical, uri
		if n.Value != "" {
			return append(out, store.IndexEntry{Param: code, Type: store.ParamReference, Text: n.Value})
		}
		return out
	default:
		return out
	}
	if id := n.Child("identifier"); id != nil && id.ChildValue("value") != "" { // subject:identifier=
		out = append(out, store.IndexEntry{Param: code + ":identifier", Type: store.ParamToken,
			System: canonicalSystem(id.ChildValue("system")), Code: id.ChildValue("value")})
	}
	if ref == "" || strings.HasPrefix(ref, "#") {
		return out
	}
	if ix.baseURL != "" && strings.HasPrefix(ref, ix.baseURL+"/") {
		ref = strings.TrimPrefix(ref, ix.baseURL+"/")
	}
	if typ, id, ok := splitLocalRef(ref); ok {
		return append(out, store.IndexEntry{Param: code, Type: store.ParamReference, RefType: typ, RefID: id})
	}
	return append(out, store.IndexEntry{Param: code, Type: store.ParamReference, Text: ref})
}

// splitLocalRef splits "Patient/123" or "Patient/123/_history/2" into type
// and id; anything else (absolute URLs, urn:uuid:, fragments) is not local.
func splitLocalRef(ref string) (typ, id string, ok bool) {
	parts := strings.Split(ref, "/")
	switch {
	case len(parts) == 2, len(parts) == 4 && parts[2] == "_history":
	default:
		return "", "", false
	}
	if !model.IsResourceType(parts[0]) || parts[1] == "" {
		return "", "", false
	}
	return parts[0], parts[1], true
}

// chinaStandardTime is the zone of local times that carry no offset.
var chinaStandardTime = time.FixedZone("CST", 8*3600)

var (
	minTime = time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC)
	maxTime = time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC)
)

// dateRange returns the instant range [lo, hi) a date-like value covers.
func dateRange(n *fhir.Node) (lo, hi time.Time, ok bool) {
	switch n.Type {
	case "date", "dateTime", "instant":
		return DateRange(n.Value)
	case "Period":
		lo, hi = minTime, maxTime
		if s := n.ChildValue("start"); s != "" {
			l, _, ok := DateRange(s)
			if !ok {
				return lo, hi, false
			}
			lo = l
		}
		if e := n.ChildValue("end"); e != "" {
			_, h, ok := DateRange(e)
			if !ok {
				return lo, hi, false
			}
			hi = h
		}
		return lo, hi, n.Child("start") != nil || n.Child("end") != nil
	case "Timing":
		first := true
		for _, ev := range n.ChildrenNamed("event") {
			l, h, ok := DateRange(ev.Value)
			if !ok {
				continue
			}
			if first || l.Before(lo) {
				lo = l
			}
			if first || h.After(hi) {
				hi = h
			}
			first = false
		}
		if rep := n.Child("repeat"); rep != nil {
			if b := rep.Child("boundsPeriod"); b != nil {
				if l, h, ok := dateRange(b); ok {
					if first || l.Before(lo) {
						lo = l
					}
					if first || h.After(hi) {
						hi = h
					}
					first = false
				}
			}
		}
		return lo, hi, !first
	}
	return lo, hi, false
}

// DateRange returns the instant range [lo, hi) that a FHIR date, dateTime or
// instant covers at its precision: "2024" → [2024-01-01, 2025-01-01),
// "2024-05-01T08:30" → one minute. Times without an offset are +08:00.
func DateRange(s string) (lo, hi time.Time, ok bool) {
	type datePrecision struct {
		layout string
		next   func(time.Time) time.Time
	}
	layouts := []datePrecision{
		{"2006", func(t time.Time) time.Time { return t.AddDate(1, 0, 0) }},
		{"2006-01", func(t time.Time) time.Time { return t.AddDate(0, 1, 0) }},
		{"2006-01-02", func(t time.Time) time.Time { return t.AddDate(0, 0, 1) }},
	}
	for _, l := range layouts {
		if len(s) == len(l.layout) {
			t, err := time.ParseInLocation(l.layout, s, chinaStandardTime)
			if err != nil {
				return lo, hi, false
			}
			return t, l.next(t), true
		}
	}
	// dateTime/instant with a time part: precision is minutes, seconds or a fraction.
	loc := chinaStandardTime
	body := s
	if strings.HasSuffix(body, "Z") {
		body, loc = body[:len(body)-1], time.UTC
	} else if i := strings.LastIndexAny(body, "+-"); i > 10 {
		off, err := time.Parse("-07:00", body[i:])
		if err != nil {
			return lo, hi, false
		}
		_, secs := off.Zone()
		body, loc = body[:i], time.FixedZone("", secs)
	}
	var step time.Duration
	layout := "2006-01-02T15:04"
	switch {
	case len(body) == len("2006-01-02T15:04"):
		step = time.Minute
	case len(body) == len("2006-01-02T15:04:05"):
		layout, step = "2006-01-02T15:04:05", time.Second
	case len(body) > len("2006-01-02T15:04:05.") && body[19] == '.':
		digits := len(body) - 20
		layout = "2006-01-02T15:04:05." + strings.Repeat("0", digits)
		step = time.Duration(math.Pow10(9 - min(digits, 9)))
	default:
		return lo, hi, false
	}
	t, err := time.ParseInLocation(layout, body, loc)
	if err != nil {
		return lo, hi, false
	}
	return t, t.Add(step), true
}

// numberRange returns the range a decimal's precision implies: "1.10" →
// [1.095, 1.105), "100" → [99.5, 100.5), "1e2" → [50, 150).
func numberRange(s string) (lo, hi float64, ok bool) {
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || s == "" {
		return 0, 0, false
	}
	mant, exp := s, 0
	if i := strings.IndexAny(s, "eE"); i >= 0 {
		mant = s[:i]
		exp, err = strconv.Atoi(s[i+1:])
		if err != nil {
			return 0, 0, false
		}
	}
	decimals := 0
	if i := strings.IndexByte(mant, '.'); i >= 0 {
		decimals = len(mant) - i - 1
	}
	half := 0.5 * math.Pow10(exp-decimals)
	return v - half, v + half, true
}
